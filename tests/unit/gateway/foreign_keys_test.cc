// KEYREQUEST for other domains: the relay fetches the key from the owning
// server, and this gateway vouches for it with its own signature; `*` names
// a domain's server key.
#include <string>

#include "gtest/gtest.h"
#include "tests/unit/gateway/test_util.h"

namespace cmtp::gateway::testing {
namespace {

using std::string_literals::operator""s;

class GatewayForeignKeysTest : public ::testing::Test {
 protected:
  GatewayForeignKeysTest() : harness_(HarnessOptions::WithRelay()) {
    AddReferenceAccounts(harness_);
  }

  // A key block signed by this gateway over `public_key`, as documented.
  ::testing::AssertionResult IsOurKeyBlockFor(const std::string& reply,
                                              const std::string& public_key) {
    if (reply.size() != 102) {
      return ::testing::AssertionFailure() << "a " << reply.size() << "-byte reply";
    }
    if (reply.substr(0, 4) != U32(1) || reply.substr(4, 32) != public_key ||
        reply[36] != '\0' || reply[101] != '\0') {
      return ::testing::AssertionFailure() << "not a key block for that key";
    }
    if (!crypto::Verify(harness_.server_key().public_key, public_key,
                        reply.substr(37, 64))) {
      return ::testing::AssertionFailure() << "not signed by this server";
    }
    return ::testing::AssertionSuccess();
  }

  bool IsNotAvailable(const std::string& reply) {
    return reply.size() == 85 && reply.substr(0, 20) == U32(0) + "KEYNOTAVAILABLE\0"s &&
           crypto::Verify(harness_.server_key().public_key, reply.substr(4, 16),
                          reply.substr(20, 64));
  }

  GatewayHarness harness_;
  const std::string dave_key_ = crypto::GenerateKeyPair().public_key;
  const std::string beta_server_key_ = crypto::GenerateKeyPair().public_key;
};

TEST_F(GatewayForeignKeysTest, ForeignUserKeyIsVouchedForByThisServer) {
  harness_.relay().AddForeignKey("beta.test", "dave", dave_key_);
  auto client = ConnectAndGreet(harness_);
  client->Send(KeyRequest("dave", "beta.test"));
  EXPECT_TRUE(IsOurKeyBlockFor(client->Read(102), dave_key_));
  EXPECT_EQ(harness_.relay().Fetches(), std::vector<std::string>{"dave@beta.test"});
  EXPECT_EQ(harness_.keys().account_key_lookups(), 0);
}

TEST_F(GatewayForeignKeysTest, UnknownForeignUserIsNotAvailable) {
  auto client = ConnectAndGreet(harness_);
  client->Send(KeyRequest("nobody", "beta.test"));
  EXPECT_TRUE(IsNotAvailable(client->Read(85)));
}

TEST_F(GatewayForeignKeysTest, RelayTroubleIsAFailureNotANotAvailable) {
  harness_.relay().SetFetchError(absl::FailedPreconditionError(
      "beta.test presented a server key other than its pin"));
  auto client = ConnectAndGreet(harness_);
  const std::string request = KeyRequest("dave", "beta.test");
  client->Send(request);
  ParsedStatus status = client->ReadStatus();
  EXPECT_EQ(status.word, "FAILURE");
  EXPECT_EQ(status.detail, "beta.test presented a server key other than its pin");
  EXPECT_TRUE(SignedByServer(harness_, status, request));
}

TEST_F(GatewayForeignKeysTest, StarNamesAForeignServersKey) {
  harness_.relay().AddForeignKey("beta.test", "", beta_server_key_);
  auto client = ConnectAndGreet(harness_);
  client->Send(KeyRequest("*", "beta.test"));
  EXPECT_TRUE(IsOurKeyBlockFor(client->Read(102), beta_server_key_));
  EXPECT_EQ(harness_.relay().Fetches(), std::vector<std::string>{"@beta.test"});
}

TEST_F(GatewayForeignKeysTest, StarForOurOwnDomainIsOurServerKey) {
  auto client = ConnectAndGreet(harness_);
  client->Send(KeyRequest("*", "Hawaii.edu"));
  EXPECT_EQ(client->Read(102), Vector("keyreply_server.bin"));
  EXPECT_TRUE(harness_.relay().Fetches().empty());
  EXPECT_EQ(harness_.keys().account_key_lookups(), 0);
}

TEST_F(GatewayForeignKeysTest, LocalKeysStillComeFromTheKeyserver) {
  auto client = ConnectAndGreet(harness_);
  client->Send(KeyRequest("bob", "hawaii.edu"));
  EXPECT_EQ(client->Read(102), Vector("keyreply_bob.bin"));
  EXPECT_TRUE(harness_.relay().Fetches().empty());
}

}  // namespace
}  // namespace cmtp::gateway::testing
