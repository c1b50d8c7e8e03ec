// Hostile and broken input against a real suite: each gets its clear error or
// a close, nothing partial is stored, and the server keeps serving others.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lib/crypto/protocol_signatures.h"
#include "lib/crypto/sodium.h"
#include "lib/wire/serializer.h"
#include "tests/e2e/raw_client.h"
#include "tests/e2e/suite.h"
#include "tests/support/ports.h"

namespace cmtp::testing {
namespace {

using ::testing::HasSubstr;

constexpr int kCap = 100'000;

std::string MailTo(const std::string& account, const std::string& body) {
  wire::MailHeader h;
  h.dst_account = account;
  h.dst_domain = "example.org";
  h.src_account = "mallory";
  h.src_domain = "elsewhere.test";
  return std::string("MAIL\0", 5) + wire::SerializeMessage(h, "", body, {});
}

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(suite_.Start()) << "suite failed to start; logs in " << suite_.dir();
    std::string state = MakeTempDir("cmtp-bob-");
    auto r =
        suite_.Cmtp(state, {"register", "--server=" + suite_.gateway_address(),
                            "--account=bob@example.org",
                            "--password-file=" + suite_.PasswordFile("bob", "bobpw")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    keys_before_ = DbSize();
  }

  void TearDown() override {
    // Whatever the bad client did, a well-behaved one is still served and
    // nothing was stored.
    RawClient other;
    ASSERT_TRUE(other.Connect(suite_.gateway_port()));
    ASSERT_TRUE(other.Send(std::string("NOOP\0", 5)));
    auto noop = other.Read(wire::ReplyKind::kText);
    ASSERT_TRUE(noop.has_value());
    EXPECT_EQ(noop->text, "O_O\n");
    EXPECT_EQ(BobsMessages(), expected_messages_);
    if (expected_messages_ == 0) {
      EXPECT_EQ(DbSize(), keys_before_);
    }
  }

  int64_t BobsMessages() {
    std::string n = suite_.redis().Cli({"ZCARD", "cmtp:mbox:{bob}:index"});
    return std::stoll(n.empty() ? "0" : n);
  }
  int64_t DbSize() { return std::stoll(suite_.redis().Cli({"DBSIZE"})); }

  // Expects a FAILURE whose detail mentions `reason`, then a close.
  void ExpectFailureAndClose(RawClient& client, const std::string& reason) {
    auto status = client.Read(wire::ReplyKind::kStatus);
    ASSERT_TRUE(status.has_value()) << "no status reply";
    EXPECT_FALSE(status->status.success);
    EXPECT_THAT(status->status.detail, HasSubstr(reason));
    EXPECT_TRUE(client.ClosedByPeer());
  }

  Suite suite_{"example.org", {"--max-message-bytes=" + std::to_string(kCap)}};
  int64_t keys_before_ = 0;
  int64_t expected_messages_ = 0;
};

TEST_F(BadInputTest, OversizeStringIsRefused) {
  RawClient c;
  ASSERT_TRUE(c.Connect(suite_.gateway_port()));
  ASSERT_TRUE(c.Send(std::string("KEYREQUEST\0", 11) + std::string(300, 'a') +
                     std::string("\0example.org\0", 13)));
  ExpectFailureAndClose(c, "255");
}

TEST_F(BadInputTest, BodyLengthOverTheCapIsRefusedBeforeThePayload) {
  std::string mail = MailTo("bob", std::string(kCap + 1, 'x'));
  // Send the command, the fixed header and the four strs, but no payload:
  // the refusal must come from the header alone.
  size_t header_end = 5 + 24 + 4 + 12 + 8 +
                      15;  // "MAIL\0", sizes, bob, example.org, mallory, elsewhere.test
  RawClient c;
  ASSERT_TRUE(c.Connect(suite_.gateway_port()));
  ASSERT_TRUE(c.Send(std::string_view(mail).substr(0, header_end)));
  ExpectFailureAndClose(c, "limit");
}

TEST_F(BadInputTest, OversizeMessageSentWholeIsRefused) {
  RawClient c;
  ASSERT_TRUE(c.Connect(suite_.gateway_port()));
  c.Send(MailTo("bob", std::string(kCap * 3, 'y')));  // the server may close mid-send
  auto status = c.Read(wire::ReplyKind::kStatus);
  ASSERT_TRUE(status.has_value());
  EXPECT_FALSE(status->status.success);
}

TEST_F(BadInputTest, UnknownCommandIsRefused) {
  RawClient c;
  ASSERT_TRUE(c.Connect(suite_.gateway_port()));
  ASSERT_TRUE(c.Send(std::string("STEAL\0", 6)));
  ExpectFailureAndClose(c, "unknown command");
}

TEST_F(BadInputTest, GarbageIsRefused) {
  RawClient c;
  ASSERT_TRUE(c.Connect(suite_.gateway_port()));
  std::string garbage = crypto::RandomBytes(4096);
  garbage[0] = '\x01';  // never an upper-case command letter
  c.Send(garbage);
  ExpectFailureAndClose(c, "unknown command");
}

TEST_F(BadInputTest, PeerVanishingMidMessageStoresNothing) {
  std::string mail = MailTo("bob", std::string(50'000, 'z'));
  {
    RawClient c;
    ASSERT_TRUE(c.Connect(suite_.gateway_port()));
    ASSERT_TRUE(c.Send(std::string_view(mail).substr(0, mail.size() / 2)));
    c.Close();
  }
  // A whole message from another client afterwards is stored: the gateway
  // forgot the half one and still works.
  RawClient good;
  ASSERT_TRUE(good.Connect(suite_.gateway_port()));
  ASSERT_TRUE(good.Send(MailTo("bob", "a whole body")));
  auto status = good.Read(wire::ReplyKind::kStatus);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->status.success) << status->status.detail;
  expected_messages_ = 1;
}

TEST_F(BadInputTest, MailForAnUnknownAccountIsRefused) {
  RawClient c;
  ASSERT_TRUE(c.Connect(suite_.gateway_port()));
  ASSERT_TRUE(c.Send(MailTo("nobody", "hello")));
  auto status = c.Read(wire::ReplyKind::kStatus);
  ASSERT_TRUE(status.has_value());
  EXPECT_FALSE(status->status.success);
  EXPECT_THAT(status->status.detail, HasSubstr("nobody"));
}

TEST_F(BadInputTest, ForgedAuthIsRefused) {
  RawClient c;
  ASSERT_TRUE(c.Connect(suite_.gateway_port()));
  ASSERT_TRUE(c.Send(std::string("CHALLENGE\0", 10)));
  auto challenge = c.Read(wire::ReplyKind::kChallenge);
  ASSERT_TRUE(challenge.has_value());
  ASSERT_EQ(challenge->challenge.size(), 32u);
  // Signed correctly, but by a key that is not bob's.
  crypto::KeyPair mallory = crypto::GenerateKeyPair();
  std::string proof =
      crypto::Sign(mallory.secret_key.view(),
                   crypto::AuthSignedBytes("bob", "example.org", challenge->challenge,
                                           suite_.server_public_key()));
  ASSERT_TRUE(c.Send(std::string("AUTH\0bob\0", 9) + proof));
  auto auth = c.Read(wire::ReplyKind::kStatus);
  ASSERT_TRUE(auth.has_value());
  EXPECT_FALSE(auth->status.success);
  // And the session is not authenticated.
  ASSERT_TRUE(c.Send(std::string("LIST\0", 5)));
  auto list = c.Read(wire::ReplyKind::kStatusList);
  ASSERT_TRUE(list.has_value());
  EXPECT_FALSE(list->status.success);
  EXPECT_THAT(list->status.detail, HasSubstr("authenticate"));
}

}  // namespace
}  // namespace cmtp::testing
