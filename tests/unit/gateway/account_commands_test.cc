// REGISTER, LOGIN (v1, v2), CHALLENGE, AUTH, LOGINPROOF and the mailbox
// commands that need AUTH, through a real session.
#include <string>

#include "gtest/gtest.h"
#include "lib/crypto/protocol_signatures.h"
#include "tests/unit/gateway/test_util.h"

namespace cmtp::gateway::testing {
namespace {

using std::string_literals::operator""s;

class GatewayAccountCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AddReferenceAccounts(harness_);
    FakeAccount carol;
    carol.public_key = carol_.public_key;
    carol.xzibit_version = 2;
    carol.xzibit = "carol's sealed key pair";
    carol.login_public_key = carol_login_.public_key;
    carol.salt = std::string(16, '\x5a');
    carol.opslimit = 3;
    carol.memlimit = 268435456;
    harness_.keys().AddAccount("carol", carol);
  }

  // CHALLENGE, then AUTH signed by `key` for `account`. Returns the status.
  ParsedStatus Authenticate(TestClient& client, const std::string& account,
                            const crypto::KeyPair& key) {
    client.Send("CHALLENGE\0"s);
    std::string challenge = client.Read(32);
    std::string proof = crypto::Sign(
        key.secret_key.view(), crypto::AuthSignedBytes(account, "hawaii.edu", challenge,
                                                       harness_.server_key().public_key));
    std::string request = AuthRequest(account, proof);
    client.Send(request);
    ParsedStatus status = client.ReadStatus();
    EXPECT_TRUE(SignedByServer(harness_, status, request));
    return status;
  }

  GatewayHarness harness_;
  crypto::KeyPair carol_ = crypto::GenerateKeyPair();
  crypto::KeyPair carol_login_ = crypto::GenerateKeyPair();
};

TEST_F(GatewayAccountCommandsTest, MailboxCommandsNeedAuthentication) {
  auto client = ConnectAndGreet(harness_);
  const std::string id(32, 'a');
  for (const std::string& request : {"LIST\0"s, FetchRequest(id), DeleteRequest(id)}) {
    client->Send(request);
    ParsedStatus status = client->ReadStatus();
    EXPECT_EQ(status.word, "FAILURE");
    EXPECT_EQ(status.detail, "authenticate first (CHALLENGE, AUTH)");
    EXPECT_TRUE(SignedByServer(harness_, status, request));
  }
}

TEST_F(GatewayAccountCommandsTest, AuthWithoutChallengeIsRefused) {
  auto client = ConnectAndGreet(harness_);
  std::string request = AuthRequest("carol", std::string(64, '\0'));
  client->Send(request);
  ParsedStatus status = client->ReadStatus();
  EXPECT_EQ(status.word, "FAILURE");
  EXPECT_EQ(status.detail, "send CHALLENGE first");
}

TEST_F(GatewayAccountCommandsTest, AuthThenListFetchDelete) {
  // Something for carol to read.
  TestMail mail;
  mail.dst_account = "carol";
  {
    auto sender = ConnectAndGreet(harness_);
    sender->Send(mail.Request());
    ASSERT_TRUE(sender->ReadStatus().success());
  }

  auto client = ConnectAndGreet(harness_);
  ParsedStatus auth = Authenticate(*client, "carol", carol_);
  ASSERT_TRUE(auth.success()) << auth.detail;
  EXPECT_EQ(auth.detail, "authenticated as carol@hawaii.edu");

  client->Send("LIST\0"s);
  ParsedStatus listed = client->ReadStatus();
  ASSERT_TRUE(listed.success()) << listed.detail;
  EXPECT_TRUE(SignedByServer(harness_, listed, "LIST\0"s));
  ASSERT_EQ(client->ReadU32(), 1u);
  EXPECT_EQ(client->ReadThroughNul(), mail.ExpectedId() + '\0');
  // What the mailbox holds: the message with this server's log entry.
  const std::string stored = WithLogEntry(
      mail.MessageBytes(),
      ExpectedLogEntry("hawaii.edu", HarnessOptions().now_unix_ms, mail.ExpectedId(),
                       harness_.server_key().secret_key.view()));
  EXPECT_EQ(client->ReadU64(), stored.size());
  EXPECT_GT(client->ReadU64(), 0u);  // arrival time
  EXPECT_EQ(client->ReadThroughNul(), "alice\0"s);
  EXPECT_EQ(client->ReadThroughNul(), "hawaii.edu\0"s);

  std::string fetch = FetchRequest(mail.ExpectedId());
  client->Send(fetch);
  ParsedStatus fetched = client->ReadStatus();
  ASSERT_TRUE(fetched.success()) << fetched.detail;
  EXPECT_EQ(fetched.detail, mail.ExpectedId());
  EXPECT_TRUE(SignedByServer(harness_, fetched, fetch));
  uint64_t length = client->ReadU64();
  ASSERT_EQ(length, stored.size());
  EXPECT_EQ(client->Read(length), stored);

  std::string remove = DeleteRequest(mail.ExpectedId());
  client->Send(remove);
  ParsedStatus deleted = client->ReadStatus();
  EXPECT_TRUE(deleted.success()) << deleted.detail;
  EXPECT_TRUE(SignedByServer(harness_, deleted, remove));
  EXPECT_TRUE(harness_.mailboxes().Messages("carol").empty());

  client->Send("LIST\n"s);  // LIST also takes a newline
  ASSERT_TRUE(client->ReadStatus().success());
  EXPECT_EQ(client->ReadU32(), 0u);

  // Fetching what is gone: the mailstore's reason.
  client->Send(fetch);
  ParsedStatus missing = client->ReadStatus();
  EXPECT_EQ(missing.word, "FAILURE");
  EXPECT_NE(missing.detail.find("no message"), std::string::npos) << missing.detail;
}

TEST_F(GatewayAccountCommandsTest, AuthenticatedSessionSeesOnlyItsOwnMailbox) {
  TestMail to_bob;  // bob's mail, which carol must not reach
  {
    auto sender = ConnectAndGreet(harness_);
    sender->Send(to_bob.Request());
    ASSERT_TRUE(sender->ReadStatus().success());
  }
  auto client = ConnectAndGreet(harness_);
  ASSERT_TRUE(Authenticate(*client, "carol", carol_).success());
  client->Send("LIST\0"s);
  ASSERT_TRUE(client->ReadStatus().success());
  EXPECT_EQ(client->ReadU32(), 0u);
  client->Send(FetchRequest(to_bob.ExpectedId()));
  EXPECT_EQ(client->ReadStatus().word, "FAILURE");
  client->Send(DeleteRequest(to_bob.ExpectedId()));
  EXPECT_EQ(client->ReadStatus().word, "FAILURE");
  EXPECT_EQ(harness_.mailboxes().Messages("bob").size(), 1u);
}

TEST_F(GatewayAccountCommandsTest, WrongProofFailsAndConsumesTheChallenge) {
  auto client = ConnectAndGreet(harness_);
  crypto::KeyPair stranger = crypto::GenerateKeyPair();
  ParsedStatus status = Authenticate(*client, "carol", stranger);
  EXPECT_EQ(status.word, "FAILURE");
  EXPECT_EQ(status.detail, "the AUTH proof does not verify");
  // The challenge is gone: a second AUTH needs a fresh one.
  client->Send(AuthRequest("carol", std::string(64, '\0')));
  EXPECT_EQ(client->ReadStatus().detail, "send CHALLENGE first");
  client->Send("LIST\0"s);
  EXPECT_EQ(client->ReadStatus().word, "FAILURE");
}

TEST_F(GatewayAccountCommandsTest, ChallengesAreFresh) {
  auto client = ConnectAndGreet(harness_);
  client->Send("CHALLENGE\0"s);
  std::string first = client->Read(32);
  client->Send("CHALLENGE\n"s);
  std::string second = client->Read(32);
  EXPECT_EQ(first.size(), 32u);
  EXPECT_NE(first, second);
}

TEST_F(GatewayAccountCommandsTest, LoginV1MatchesTheReference) {
  auto client = ConnectAndGreet(harness_);
  client->Send(LoginRequest("alice"));
  EXPECT_EQ(client->Read(220), Vector("login_reply_alice.bin"));
  ASSERT_EQ(harness_.keys().login_peers().size(), 1u);
  EXPECT_EQ(harness_.keys().login_peers()[0], "127.0.0.1");
}

TEST_F(GatewayAccountCommandsTest, LoginForAnUnknownAccountIsNotAvailable) {
  auto client = ConnectAndGreet(harness_);
  client->Send(LoginRequest("nobody"));
  std::string reply = client->Read(85);
  EXPECT_EQ(reply.substr(0, 20), U32(0) + "KEYNOTAVAILABLE\0"s);
}

TEST_F(GatewayAccountCommandsTest, LoginRefusalsAreSignedFailures) {
  harness_.keys().SetBeginLoginError(absl::ResourceExhaustedError("rate limited"));
  auto client = ConnectAndGreet(harness_);
  std::string request = LoginRequest("alice");
  client->Send(request);
  ParsedStatus status = client->ReadStatus();
  EXPECT_EQ(status.word, "FAILURE");
  EXPECT_EQ(status.detail, "rate limited");
  EXPECT_TRUE(SignedByServer(harness_, status, request));
}

TEST_F(GatewayAccountCommandsTest, LoginV2ChallengeThenProofReleasesTheXzibit) {
  auto client = ConnectAndGreet(harness_);
  client->Send(LoginRequest("carol"));
  std::string signed_part = client->Read(68);
  std::string signature = client->Read(64);
  ASSERT_EQ(signed_part.size(), 68u);
  EXPECT_EQ(signed_part.substr(0, 4), U32(2));
  EXPECT_EQ(signed_part.substr(4, 16), std::string(16, '\x5a'));
  EXPECT_EQ(signed_part.substr(20, 8), U64(3));
  EXPECT_EQ(signed_part.substr(28, 8), U64(268435456));
  EXPECT_TRUE(crypto::Verify(harness_.server_key().public_key, signed_part, signature));
  std::string challenge = signed_part.substr(36, 32);

  std::string proof =
      crypto::Sign(carol_login_.secret_key.view(),
                   crypto::LoginSignedBytes("carol", "hawaii.edu", challenge,
                                            harness_.server_key().public_key));
  std::string request = LoginProofRequest("carol", proof);
  client->Send(request);
  ParsedStatus status = client->ReadStatus();
  ASSERT_TRUE(status.success()) << status.detail;
  EXPECT_TRUE(SignedByServer(harness_, status, request));
  uint32_t length = client->ReadU32();
  ASSERT_EQ(length, std::string("carol's sealed key pair").size());
  std::string xzibit = client->Read(length);
  EXPECT_EQ(xzibit, "carol's sealed key pair");
  EXPECT_TRUE(crypto::Verify(harness_.server_key().public_key, xzibit, client->Read(64)));
}

TEST_F(GatewayAccountCommandsTest, LoginProofWithTheWrongPasswordFails) {
  auto client = ConnectAndGreet(harness_);
  client->Send(LoginRequest("carol"));
  std::string challenge = client->Read(132).substr(36, 32);
  crypto::KeyPair wrong = crypto::GenerateKeyPair();
  std::string proof =
      crypto::Sign(wrong.secret_key.view(),
                   crypto::LoginSignedBytes("carol", "hawaii.edu", challenge,
                                            harness_.server_key().public_key));
  client->Send(LoginProofRequest("carol", proof));
  ParsedStatus status = client->ReadStatus();
  EXPECT_EQ(status.word, "FAILURE");
  EXPECT_EQ(status.detail, "wrong password");
  // The challenge was spent.
  client->Send(LoginProofRequest("carol", proof));
  EXPECT_EQ(client->ReadStatus().detail, "send LOGIN (or CHALLENGE) first");
}

TEST_F(GatewayAccountCommandsTest, RegisterPassesTheRequestToTheKeyserver) {
  crypto::KeyPair dave = crypto::GenerateKeyPair();
  TestRegistration registration;
  registration.account = "dave";
  registration.domain = "hawaii.edu";
  registration.invite_token = "token-123";
  registration.public_key = dave.public_key;
  registration.xzibit = std::string(156, '\x11');
  registration.signature = crypto::Sign(
      dave.secret_key.view(),
      crypto::RegisterSignedBytes("dave", "hawaii.edu", dave.public_key,
                                  registration.login_public_key, registration.xzibit));
  auto client = ConnectAndGreet(harness_);
  std::string request = registration.Request();
  client->Send(request);
  ParsedStatus status = client->ReadStatus();
  ASSERT_TRUE(status.success()) << status.detail;
  EXPECT_EQ(status.detail, "registered");
  EXPECT_TRUE(SignedByServer(harness_, status, request));
  auto seen = harness_.keys().registrations();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].invite_token, "token-123");
  EXPECT_EQ(seen[0].xzibit, registration.xzibit);
  EXPECT_TRUE(harness_.keys().HasAccount("dave"));

  // Registered accounts receive mail at once.
  TestMail mail;
  mail.dst_account = "dave";
  client->Send(mail.Request());
  EXPECT_TRUE(client->ReadStatus().success());

  // Registering again: the keyserver's reason comes back.
  client->Send(request);
  ParsedStatus again = client->ReadStatus();
  EXPECT_EQ(again.word, "FAILURE");
  EXPECT_EQ(again.detail, "account dave exists");
}

TEST_F(GatewayAccountCommandsTest, RegisterForAnotherDomainIsRefusedByTheKeyserver) {
  crypto::KeyPair eve = crypto::GenerateKeyPair();
  TestRegistration registration;
  registration.account = "eve";
  registration.domain = "example.org";
  registration.public_key = eve.public_key;
  registration.xzibit = std::string(156, '\x22');
  registration.signature = crypto::Sign(
      eve.secret_key.view(),
      crypto::RegisterSignedBytes("eve", "example.org", eve.public_key,
                                  registration.login_public_key, registration.xzibit));
  auto client = ConnectAndGreet(harness_);
  client->Send(registration.Request());
  ParsedStatus status = client->ReadStatus();
  EXPECT_EQ(status.word, "FAILURE");
  EXPECT_EQ(status.detail, "this server serves hawaii.edu");
  ASSERT_EQ(harness_.keys().registrations().size(), 1u);
  EXPECT_EQ(harness_.keys().registrations()[0].domain, "example.org");
}

}  // namespace
}  // namespace cmtp::gateway::testing
