// MAIL for other domains: only an authenticated local sender may relay, the
// message goes to the relay's queue with this server's log entry, and
// SUCCESS only once the relay has it.
#include <string>

#include "gtest/gtest.h"
#include "lib/crypto/protocol_signatures.h"
#include "tests/unit/gateway/test_util.h"

namespace cmtp::gateway::testing {
namespace {

using std::string_literals::operator""s;

constexpr char kRelayingDenied[] = "relaying denied: authenticate as the sender first";

// alice@hawaii.edu writing to bob@beta.test.
TestMail ForeignMail() {
  TestMail mail;
  mail.dst_account = "bob";
  mail.dst_domain = "beta.test";
  mail.log = "an earlier hop\0"s;
  mail.attachments = {"an attachment"};
  return mail;
}

class GatewayForeignMailTest : public ::testing::Test {
 protected:
  GatewayForeignMailTest() : harness_(HarnessOptions::WithRelay()) {}

  void SetUp() override {
    FakeAccount alice;
    alice.public_key = alice_.public_key;
    harness_.keys().AddAccount("alice", alice);
    FakeAccount mallory;
    mallory.public_key = mallory_.public_key;
    harness_.keys().AddAccount("mallory", mallory);
  }

  void Authenticate(TestClient& client, const std::string& account,
                    const crypto::KeyPair& key) {
    client.Send("CHALLENGE\0"s);
    const std::string challenge = client.Read(32);
    const std::string proof = crypto::Sign(
        key.secret_key.view(), crypto::AuthSignedBytes(account, "hawaii.edu", challenge,
                                                       harness_.server_key().public_key));
    client.Send(AuthRequest(account, proof));
    ParsedStatus status = client.ReadStatus();
    ASSERT_TRUE(status.success()) << status.detail;
  }

  // Sends `mail` and expects the relaying refusal, with nothing queued.
  void ExpectRelayingDenied(TestClient& client, const TestMail& mail) {
    client.Send(mail.Request());
    ParsedStatus status = client.ReadStatus();
    EXPECT_EQ(status.word, "FAILURE");
    EXPECT_EQ(status.detail, kRelayingDenied);
    EXPECT_TRUE(SignedByServer(harness_, status, mail.MessageBytes()));
    EXPECT_TRUE(harness_.relay().Queued().empty());
  }

  GatewayHarness harness_;
  crypto::KeyPair alice_ = crypto::GenerateKeyPair();
  crypto::KeyPair mallory_ = crypto::GenerateKeyPair();
};

TEST_F(GatewayForeignMailTest, AuthenticatedSenderIsQueuedWithThisServersEntry) {
  const TestMail mail = ForeignMail();
  auto client = ConnectAndGreet(harness_);
  Authenticate(*client, "alice", alice_);
  client->Send(mail.Request());
  ParsedStatus status = client->ReadStatus();
  ASSERT_TRUE(status.success()) << status.detail;
  EXPECT_EQ(status.detail, mail.ExpectedId());
  // The receipt covers the bytes as sent, not as queued.
  EXPECT_TRUE(SignedByServer(harness_, status, mail.MessageBytes()));

  std::vector<OutboundMail> queued = harness_.relay().Queued();
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].message_id, mail.ExpectedId());
  EXPECT_EQ(queued[0].message,
            WithLogEntry(mail.MessageBytes(),
                         ExpectedLogEntry("hawaii.edu", HarnessOptions().now_unix_ms,
                                          mail.ExpectedId(),
                                          harness_.server_key().secret_key.view())));
  EXPECT_EQ(queued[0].dst_account, "bob");
  EXPECT_EQ(queued[0].dst_domain, "beta.test");
  EXPECT_EQ(queued[0].src_account, "alice");
  EXPECT_EQ(queued[0].src_domain, "hawaii.edu");
  // The id the relay gets is the one of the gateway's log line for the MAIL.
  EXPECT_EQ(queued[0].request_id.size(), 32u);
  bool logged = false;
  for (const std::string& line : harness_.LogLines()) {
    if (line.find("\"msg\":\"mail\"") == std::string::npos) continue;
    logged = true;
    EXPECT_NE(line.find("\"request_id\":\"" + queued[0].request_id + "\""),
              std::string::npos)
        << line;
    EXPECT_NE(line.find("\"outcome\":\"queued\""), std::string::npos) << line;
    EXPECT_NE(line.find("\"recipient\":\"foreign\""), std::string::npos) << line;
    EXPECT_EQ(line.find("beta.test"), std::string::npos) << line;
  }
  EXPECT_TRUE(logged);
  EXPECT_EQ(harness_.mailboxes().TotalMessages(), 0u);
}

TEST_F(GatewayForeignMailTest, UnauthenticatedSenderIsDenied) {
  auto client = ConnectAndGreet(harness_);
  ExpectRelayingDenied(*client, ForeignMail());
  // The stream stays in sync.
  client->Send("NOOP\0"s);
  EXPECT_EQ(client->Read(5), "O_O\n\0"s);
}

TEST_F(GatewayForeignMailTest, AnotherLocalAccountMayNotSendAsTheSender) {
  auto client = ConnectAndGreet(harness_);
  Authenticate(*client, "mallory", mallory_);
  ExpectRelayingDenied(*client, ForeignMail());
}

TEST_F(GatewayForeignMailTest, ForeignSourceDomainIsNeverRelayed) {
  // Authenticated as alice, but claiming to write as alice@elsewhere.test:
  // that would make us an open relay for another domain's users.
  TestMail mail = ForeignMail();
  mail.src_domain = "elsewhere.test";
  auto client = ConnectAndGreet(harness_);
  Authenticate(*client, "alice", alice_);
  ExpectRelayingDenied(*client, mail);
}

TEST_F(GatewayForeignMailTest, SourceDomainComparesWithoutCase) {
  TestMail mail = ForeignMail();
  mail.src_domain = "HAWAII.edu";
  auto client = ConnectAndGreet(harness_);
  Authenticate(*client, "alice", alice_);
  client->Send(mail.Request());
  EXPECT_TRUE(client->ReadStatus().success());
  EXPECT_EQ(harness_.relay().Queued().size(), 1u);
}

TEST_F(GatewayForeignMailTest, RelayFailureIsReportedAndNothingAcknowledged) {
  harness_.relay().SetEnqueueError(absl::UnavailableError("relay unavailable: down"));
  const TestMail mail = ForeignMail();
  auto client = ConnectAndGreet(harness_);
  Authenticate(*client, "alice", alice_);
  client->Send(mail.Request());
  ParsedStatus status = client->ReadStatus();
  EXPECT_EQ(status.word, "FAILURE");
  EXPECT_EQ(status.detail, "relay unavailable: down");
  // Signed over the bytes as received, although the queued copy carried
  // our entry.
  EXPECT_TRUE(SignedByServer(harness_, status, mail.MessageBytes()));
}

TEST_F(GatewayForeignMailTest, LocalMailStillNeedsNoAuthentication) {
  TestMail mail;
  mail.dst_account = "alice";
  mail.src_account = "someone";
  mail.src_domain = "beta.test";
  auto client = ConnectAndGreet(harness_);
  client->Send(mail.Request());
  EXPECT_TRUE(client->ReadStatus().success());
  EXPECT_EQ(harness_.mailboxes().Messages("alice").size(), 1u);
  EXPECT_TRUE(harness_.relay().Queued().empty());
}

TEST(GatewayNoRelayTest, ForeignMailIsRefusedEvenWhenAuthenticated) {
  GatewayHarness harness;  // no relay
  crypto::KeyPair alice = crypto::GenerateKeyPair();
  FakeAccount account;
  account.public_key = alice.public_key;
  harness.keys().AddAccount("alice", account);
  auto client = ConnectAndGreet(harness);
  client->Send("CHALLENGE\0"s);
  const std::string challenge = client->Read(32);
  client->Send(AuthRequest(
      "alice", crypto::Sign(alice.secret_key.view(),
                            crypto::AuthSignedBytes("alice", "hawaii.edu", challenge,
                                                    harness.server_key().public_key))));
  ASSERT_TRUE(client->ReadStatus().success());
  client->Send(ForeignMail().Request());
  ParsedStatus status = client->ReadStatus();
  EXPECT_EQ(status.word, "FAILURE");
  EXPECT_EQ(status.detail,
            "cannot deliver to beta.test: this server delivers only to hawaii.edu (no "
            "relay configured)");
}

}  // namespace
}  // namespace cmtp::gateway::testing
