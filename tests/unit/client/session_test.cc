// The client's checks of everything a server signs, against a fake server
// that can answer honestly or lie: forged key blocks, receipts with bad or
// replayed signatures, tampered login replies and hostile KDF parameters
// must all be refused.
#include "lib/client/session.h"

#include <gtest/gtest.h>

#include "lib/client/failures.h"
#include "lib/client/outgoing_mail.h"
#include "lib/common/strings.h"
#include "lib/crypto/protocol_signatures.h"
#include "lib/crypto/xzibit.h"
#include "lib/wire/message_id.h"
#include "lib/wire/serializer.h"
#include "tests/support/ports.h"
#include "tests/unit/client/fake_cmtp_server.h"

namespace cmtp::client {
namespace {

using cmtp::testing::FakeCmtpServer;
using cmtp::testing::ReadFileOrDie;
using cmtp::testing::VectorPath;
using wire::CommandKind;

constexpr char kDomain[] = "example.org";

std::string StatusBytes(const crypto::KeyPair& server, bool success,
                        std::string_view request, std::string_view detail) {
  return wire::StatusReply(
      crypto::MakeStatus(server.secret_key.view(), success, request, detail));
}

std::string ForgedSignature() { return std::string(crypto::kSignatureSize, '\x42'); }

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() { crypto::EnsureSodium(); }

  // The server answers KEYREQUEST\0\0 with its self-signed key block and
  // hands every other command to `handler`.
  void StartServer(
      std::function<std::optional<std::string>(const wire::Command&)> handler) {
    server_ = std::make_unique<FakeCmtpServer>(
        [this, handler](const wire::Command& command) -> std::optional<std::string> {
          if (command.kind == CommandKind::kKeyRequest && command.account.empty()) {
            return crypto::MakeKeyBlock(server_key_.secret_key.view(),
                                        server_key_.public_key);
          }
          return handler(command);
        },
        wire::TextReply(wire::kBanner));
    ASSERT_TRUE(server_->listening());
  }

  Session Connect() {
    absl::StatusOr<Session> session = Session::Connect(server_->endpoint());
    EXPECT_TRUE(session.ok()) << session.status();
    return std::move(*session);
  }

  wire::MailMessage MakeMessage(const std::string& text) {
    OutgoingMail mail;
    mail.sender = {"alice", kDomain};
    mail.recipient = {"bob", kDomain};
    mail.recipient_public_key = bob_.public_key;
    mail.inner.from = "alice@example.org";
    mail.inner.to = "bob@example.org";
    mail.inner.text = text;
    absl::StatusOr<wire::MailMessage> message = BuildMail(mail, alice_);
    EXPECT_TRUE(message.ok()) << message.status();
    return *message;
  }

  crypto::KeyPair server_key_ = crypto::GenerateKeyPair();
  crypto::KeyPair alice_ = crypto::GenerateKeyPair();
  crypto::KeyPair bob_ = crypto::GenerateKeyPair();
  std::unique_ptr<FakeCmtpServer> server_;
};

// --- KEYREQUEST -------------------------------------------------------------

TEST_F(SessionTest, KeyRequestReturnsTheServerSignedKey) {
  StartServer([this](const wire::Command& command) -> std::optional<std::string> {
    if (command.kind != CommandKind::kKeyRequest || command.account != "bob") return {};
    return crypto::MakeKeyBlock(server_key_.secret_key.view(), bob_.public_key);
  });
  Session session = Connect();
  absl::StatusOr<std::string> key = session.KeyRequest("bob", kDomain);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, bob_.public_key);
  EXPECT_EQ(*session.ServerKey(), server_key_.public_key);
}

TEST_F(SessionTest, KeyBlockSignedByAnotherKeyIsRefused) {
  const crypto::KeyPair mallory = crypto::GenerateKeyPair();
  StartServer([&](const wire::Command&) -> std::optional<std::string> {
    return crypto::MakeKeyBlock(mallory.secret_key.view(), mallory.public_key);
  });
  Session session = Connect();
  absl::StatusOr<std::string> key = session.KeyRequest("bob", kDomain);
  ASSERT_FALSE(key.ok());
  EXPECT_TRUE(IsCryptoFailure(key.status())) << key.status();
}

TEST_F(SessionTest, ServerKeyThatIsNotSelfSignedIsRefused) {
  const crypto::KeyPair other = crypto::GenerateKeyPair();
  server_ = std::make_unique<FakeCmtpServer>(
      [&](const wire::Command&) -> std::optional<std::string> {
        return crypto::MakeKeyBlock(other.secret_key.view(), server_key_.public_key);
      },
      wire::TextReply(wire::kBanner));
  Session session = Connect();
  absl::StatusOr<std::string> key = session.ServerKey();
  ASSERT_FALSE(key.ok());
  EXPECT_TRUE(IsCryptoFailure(key.status())) << key.status();
}

TEST_F(SessionTest, ChangedServerKeyIsRefusedWhenPinned) {
  StartServer([](const wire::Command&) -> std::optional<std::string> { return {}; });
  Session session = Connect();
  session.ExpectServerKey(crypto::GenerateKeyPair().public_key);
  absl::StatusOr<std::string> key = session.ServerKey();
  ASSERT_FALSE(key.ok());
  EXPECT_TRUE(IsCryptoFailure(key.status())) << key.status();
}

TEST_F(SessionTest, SignedKeyNotAvailableIsNotFound) {
  StartServer([this](const wire::Command&) -> std::optional<std::string> {
    return crypto::MakeNotAvailableBlock(server_key_.secret_key.view());
  });
  Session session = Connect();
  absl::StatusOr<std::string> key = session.KeyRequest("nobody", kDomain);
  EXPECT_EQ(key.status().code(), absl::StatusCode::kNotFound) << key.status();
}

TEST_F(SessionTest, ForgedKeyNotAvailableIsRefused) {
  StartServer([](const wire::Command&) -> std::optional<std::string> {
    return wire::NotAvailableReply(ForgedSignature());
  });
  Session session = Connect();
  absl::StatusOr<std::string> key = session.KeyRequest("bob", kDomain);
  ASSERT_FALSE(key.ok());
  EXPECT_TRUE(IsCryptoFailure(key.status())) << key.status();
}

TEST_F(SessionTest, SignedFailureToAKeyRequestIsARefusalNotNotFound) {
  StartServer([this](const wire::Command& command) -> std::optional<std::string> {
    return StatusBytes(server_key_, false, command.request_bytes,
                       "relay unavailable: beta.test cannot be reached");
  });
  Session session = Connect();
  absl::StatusOr<std::string> key = session.KeyRequest("bob", "beta.test");
  EXPECT_EQ(key.status().code(), absl::StatusCode::kPermissionDenied) << key.status();
  EXPECT_NE(key.status().message().find("beta.test cannot be reached"),
            absl::string_view::npos)
      << key.status();
}

TEST_F(SessionTest, ForgedFailureToAKeyRequestIsRefusedAsCrypto) {
  StartServer([](const wire::Command&) -> std::optional<std::string> {
    wire::Status forged;
    forged.signature = ForgedSignature();
    forged.detail = "no such thing";
    return wire::StatusReply(forged);
  });
  Session session = Connect();
  absl::StatusOr<std::string> key = session.KeyRequest("bob", "beta.test");
  EXPECT_TRUE(IsCryptoFailure(key.status())) << key.status();
}

TEST_F(SessionTest, DomainServerKeyAsksForTheStarAccount) {
  const crypto::KeyPair beta = crypto::GenerateKeyPair();
  StartServer([&](const wire::Command& command) -> std::optional<std::string> {
    if (command.kind != CommandKind::kKeyRequest || command.account != "*" ||
        command.domain != "beta.test") {
      return crypto::MakeNotAvailableBlock(server_key_.secret_key.view());
    }
    return crypto::MakeKeyBlock(server_key_.secret_key.view(), beta.public_key);
  });
  Session session = Connect();
  absl::StatusOr<std::string> key = session.DomainServerKey("beta.test");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, beta.public_key);
  absl::StatusOr<std::string> unknown = session.DomainServerKey("gamma.test");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown.status().message(), "the server has no server key for gamma.test");
}

TEST_F(SessionTest, GarbageReplyEndsTheSessionAsUnavailable) {
  StartServer([](const wire::Command&) -> std::optional<std::string> {
    return std::string("\x00\x00\x00\x07garbage", 11);
  });
  Session session = Connect();
  absl::StatusOr<std::string> key = session.KeyRequest("bob", kDomain);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), absl::StatusCode::kUnavailable) << key.status();
}

TEST_F(SessionTest, LoginForAnUnknownAccountIsNotFound) {
  StartServer([this](const wire::Command&) -> std::optional<std::string> {
    return crypto::MakeNotAvailableBlock(server_key_.secret_key.view());
  });
  Session session = Connect();
  absl::StatusOr<LoginResult> login = session.Login({"nobody", kDomain}, "pw");
  EXPECT_EQ(login.status().code(), absl::StatusCode::kNotFound) << login.status();
}

TEST_F(SessionTest, SignedLoginRefusalCarriesTheReason) {
  StartServer([this](const wire::Command& command) -> std::optional<std::string> {
    return StatusBytes(server_key_, false, command.request_bytes, "rate limited");
  });
  Session session = Connect();
  absl::StatusOr<LoginResult> login = session.Login({"alice", kDomain}, "pw");
  EXPECT_EQ(login.status().code(), absl::StatusCode::kPermissionDenied) << login.status();
  EXPECT_NE(login.status().message().find("rate limited"), std::string::npos);
}

// --- MAIL receipts ----------------------------------------------------------

TEST_F(SessionTest, SendMailReturnsTheIdOfAValidReceipt) {
  StartServer([this](const wire::Command& command) -> std::optional<std::string> {
    if (command.kind != CommandKind::kMail) return {};
    return StatusBytes(server_key_, true, command.mail.bytes,
                       wire::MessageId(command.mail));
  });
  Session session = Connect();
  const wire::MailMessage message = MakeMessage("hello bob");
  absl::StatusOr<std::string> id = session.SendMail(message);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, wire::MessageId(message));
}

TEST_F(SessionTest, ReceiptWithForgedSignatureIsRefused) {
  StartServer([](const wire::Command& command) -> std::optional<std::string> {
    wire::Status status{true, ForgedSignature(), wire::MessageId(command.mail)};
    return wire::StatusReply(status);
  });
  Session session = Connect();
  absl::StatusOr<std::string> id = session.SendMail(MakeMessage("hello"));
  ASSERT_FALSE(id.ok());
  EXPECT_TRUE(IsCryptoFailure(id.status())) << id.status();
}

TEST_F(SessionTest, ReceiptReplayedFromAnotherMessageIsRefused) {
  const wire::MailMessage earlier = MakeMessage("an earlier message");
  StartServer([&](const wire::Command&) -> std::optional<std::string> {
    // A genuine receipt, but for other bytes: it must not count for this one.
    return StatusBytes(server_key_, true, earlier.bytes, wire::MessageId(earlier));
  });
  Session session = Connect();
  absl::StatusOr<std::string> id = session.SendMail(MakeMessage("a new message"));
  ASSERT_FALSE(id.ok());
  EXPECT_TRUE(IsCryptoFailure(id.status())) << id.status();
}

TEST_F(SessionTest, ReceiptNamingAnotherIdIsRefused) {
  StartServer([this](const wire::Command& command) -> std::optional<std::string> {
    return StatusBytes(server_key_, true, command.mail.bytes,
                       "00000000000000000000000000000000");
  });
  Session session = Connect();
  absl::StatusOr<std::string> id = session.SendMail(MakeMessage("hello"));
  ASSERT_FALSE(id.ok());
  EXPECT_TRUE(IsCryptoFailure(id.status())) << id.status();
}

TEST_F(SessionTest, SignedFailureCarriesTheServersReason) {
  StartServer([this](const wire::Command& command) -> std::optional<std::string> {
    return StatusBytes(server_key_, false, command.mail.bytes, "mailbox full");
  });
  Session session = Connect();
  absl::StatusOr<std::string> id = session.SendMail(MakeMessage("hello"));
  ASSERT_FALSE(id.ok());
  EXPECT_FALSE(IsCryptoFailure(id.status()));
  EXPECT_EQ(id.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(id.status().message().find("mailbox full"), std::string::npos) << id.status();
}

TEST_F(SessionTest, FailureWithForgedSignatureIsRefusedAsCrypto) {
  StartServer([](const wire::Command&) -> std::optional<std::string> {
    return wire::StatusReply({false, ForgedSignature(), "go away"});
  });
  Session session = Connect();
  absl::StatusOr<std::string> id = session.SendMail(MakeMessage("hello"));
  ASSERT_FALSE(id.ok());
  EXPECT_TRUE(IsCryptoFailure(id.status())) << id.status();
}

TEST_F(SessionTest, EarlyRefusalOfAnOversizeMailReportsTheServersReason) {
  server_ = std::make_unique<FakeCmtpServer>(
      [this](const wire::Command& command) -> std::optional<std::string> {
        if (command.kind == CommandKind::kKeyRequest) {
          return crypto::MakeKeyBlock(server_key_.secret_key.view(),
                                      server_key_.public_key);
        }
        return {};
      },
      wire::TextReply(wire::kBanner));
  wire::Limits small;
  small.max_message = 1024;
  // Like the gateway: refused from the header alone, signed over no request.
  server_->RefuseMalformed(small, [this](const absl::Status& error) {
    return StatusBytes(server_key_, false, "", FromAbsl(error.message()));
  });
  OutgoingMail mail;
  mail.sender = {"alice", kDomain};
  mail.recipient = {"bob", kDomain};
  mail.recipient_public_key = bob_.public_key;
  mail.inner.from = "alice@example.org";
  mail.inner.to = "bob@example.org";
  mail.attachments = {{"big.bin", std::string(8 << 20, 'x')}};
  absl::StatusOr<wire::MailMessage> message = BuildMail(mail, alice_);
  ASSERT_TRUE(message.ok()) << message.status();

  Session session = Connect();
  absl::StatusOr<std::string> id = session.SendMail(*message);
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kPermissionDenied) << id.status();
  EXPECT_FALSE(IsCryptoFailure(id.status()));
}

TEST_F(SessionTest, ASuccessSignedOverNoRequestIsNoReceipt) {
  StartServer([this](const wire::Command&) -> std::optional<std::string> {
    return StatusBytes(server_key_, true, "", "00000000000000000000000000000000");
  });
  Session session = Connect();
  absl::StatusOr<std::string> id = session.SendMail(MakeMessage("hello"));
  ASSERT_FALSE(id.ok());
  EXPECT_TRUE(IsCryptoFailure(id.status())) << id.status();
}

// --- LOGIN v1 (the reference's bytes) ----------------------------------------

class ReferenceLoginTest : public ::testing::Test {
 protected:
  ReferenceLoginTest() {
    crypto::EnsureSodium();
    absl::StatusOr<crypto::KeyPair> key =
        crypto::KeyPairFromSecretKey(ReadFileOrDie(VectorPath("server_private.key")));
    EXPECT_TRUE(key.ok());
    server_key_ = std::move(*key);
  }

  void StartServer(std::string login_reply) {
    server_ = std::make_unique<FakeCmtpServer>(
        [login_reply](const wire::Command& command) -> std::optional<std::string> {
          if (command.kind == CommandKind::kKeyRequest) {
            return ReadFileOrDie(VectorPath("keyreply_server.bin"));
          }
          if (command.kind == CommandKind::kLogin && command.account == "alice") {
            return login_reply;
          }
          return {};
        },
        wire::TextReply(wire::kBanner));
    ASSERT_TRUE(server_->listening());
  }

  crypto::KeyPair server_key_;
  std::unique_ptr<FakeCmtpServer> server_;
};

TEST_F(ReferenceLoginTest, OpensAliceWithTheReferenceReply) {
  StartServer(ReadFileOrDie(VectorPath("login_reply_alice.bin")));
  absl::StatusOr<Session> session = Session::Connect(server_->endpoint());
  ASSERT_TRUE(session.ok());
  absl::StatusOr<LoginResult> login = session->Login({"alice", "hawaii.edu"}, "alicepw");
  ASSERT_TRUE(login.ok()) << login.status();
  EXPECT_EQ(login->xzibit_version, 1u);
  EXPECT_EQ(login->xzibit, ReadFileOrDie(VectorPath("alice.xzibit")));
  EXPECT_EQ(login->identity.public_key, ReadFileOrDie(VectorPath("alice_public.key")));
}

TEST_F(ReferenceLoginTest, TamperedXzibitSignatureIsRefused) {
  std::string reply = ReadFileOrDie(VectorPath("login_reply_alice.bin"));
  reply.back() ^= 0x01;
  StartServer(reply);
  absl::StatusOr<Session> session = Session::Connect(server_->endpoint());
  ASSERT_TRUE(session.ok());
  absl::StatusOr<LoginResult> login = session->Login({"alice", "hawaii.edu"}, "alicepw");
  ASSERT_FALSE(login.ok());
  EXPECT_TRUE(IsCryptoFailure(login.status())) << login.status();
}

TEST_F(ReferenceLoginTest, WrongPasswordIsACryptoFailure) {
  StartServer(ReadFileOrDie(VectorPath("login_reply_alice.bin")));
  absl::StatusOr<Session> session = Session::Connect(server_->endpoint());
  ASSERT_TRUE(session.ok());
  absl::StatusOr<LoginResult> login = session->Login({"alice", "hawaii.edu"}, "not-it");
  ASSERT_FALSE(login.ok());
  EXPECT_TRUE(IsCryptoFailure(login.status())) << login.status();
}

// --- LOGIN v2 + LOGINPROOF ---------------------------------------------------

class LoginV2Test : public SessionTest {
 protected:
  LoginV2Test() {
    absl::StatusOr<crypto::SealedXzibit> sealed = crypto::SealXzibitV2(
        alice_, "correct horse", "alice@example.org", crypto::KdfCost::kInteractive);
    EXPECT_TRUE(sealed.ok());
    xzibit_ = sealed->bytes;
    login_public_key_ = sealed->login_key.public_key;
    absl::StatusOr<crypto::XzibitInfo> info = crypto::InspectXzibit(xzibit_);
    EXPECT_TRUE(info.ok());
    info_ = *info;
  }

  // An honest v2 keyserver+gateway, except that the KDF limits it announces
  // can be overridden.
  void StartHonestServer(uint64_t announced_opslimit = 0) {
    StartServer([this, announced_opslimit](
                    const wire::Command& command) -> std::optional<std::string> {
      if (command.kind == CommandKind::kLogin) {
        challenge_ = crypto::RandomBytes(crypto::kChallengeSize);
        const std::string block = wire::LoginChallengeSignedBytes(
            info_.salt, announced_opslimit != 0 ? announced_opslimit : info_.opslimit,
            info_.memlimit, challenge_);
        return wire::LoginChallengeReply(
            block, crypto::Sign(server_key_.secret_key.view(), block));
      }
      if (command.kind == CommandKind::kLoginProof) {
        const bool valid =
            crypto::Verify(login_public_key_,
                           crypto::LoginSignedBytes(command.account, kDomain, challenge_,
                                                    server_key_.public_key),
                           command.signature);
        std::string reply = StatusBytes(server_key_, valid, command.request_bytes,
                                        valid ? "ok" : "wrong password");
        if (valid) {
          reply += wire::XzibitPayload(
              xzibit_, crypto::Sign(server_key_.secret_key.view(), xzibit_));
        }
        return reply;
      }
      if (command.kind == CommandKind::kChallenge) {
        challenge_ = crypto::RandomBytes(crypto::kChallengeSize);
        return challenge_;
      }
      if (command.kind == CommandKind::kAuth) {
        const bool valid =
            crypto::Verify(alice_.public_key,
                           crypto::AuthSignedBytes(command.account, kDomain, challenge_,
                                                   server_key_.public_key),
                           command.signature);
        return StatusBytes(server_key_, valid, command.request_bytes,
                           valid ? "authenticated" : "bad proof");
      }
      return {};
    });
  }

  std::string xzibit_;
  std::string login_public_key_;
  crypto::XzibitInfo info_;
  std::string challenge_;
};

TEST_F(LoginV2Test, ProvesThePasswordAndOpensTheReleasedXzibit) {
  StartHonestServer();
  Session session = Connect();
  absl::StatusOr<LoginResult> login = session.Login({"alice", kDomain}, "correct horse");
  ASSERT_TRUE(login.ok()) << login.status();
  EXPECT_EQ(login->xzibit_version, 2u);
  EXPECT_EQ(login->identity.public_key, alice_.public_key);
  EXPECT_EQ(login->xzibit, xzibit_);
  // The same session then authenticates with the opened key.
  EXPECT_TRUE(session.Authenticate({"alice", kDomain}, login->identity).ok());
}

TEST_F(LoginV2Test, WrongPasswordIsRefusedByTheServer) {
  StartHonestServer();
  Session session = Connect();
  absl::StatusOr<LoginResult> login = session.Login({"alice", kDomain}, "wrong");
  ASSERT_FALSE(login.ok());
  EXPECT_EQ(login.status().code(), absl::StatusCode::kPermissionDenied) << login.status();
  EXPECT_NE(login.status().message().find("wrong password"), std::string::npos);
}

TEST_F(LoginV2Test, HostileKdfCostIsRefusedBeforeDerivation) {
  StartHonestServer(/*announced_opslimit=*/1'000'000'000);
  Session session = Connect();
  absl::StatusOr<LoginResult> login = session.Login({"alice", kDomain}, "correct horse");
  ASSERT_FALSE(login.ok());
  EXPECT_EQ(login.status().code(), absl::StatusCode::kUnavailable) << login.status();
  // KEYREQUEST and LOGIN only: no proof was attempted.
  EXPECT_EQ(server_->commands_seen(), 2);
}

TEST_F(LoginV2Test, ForgedChallengeSignatureIsRefused) {
  StartServer([this](const wire::Command&) -> std::optional<std::string> {
    return wire::LoginChallengeReply(
        wire::LoginChallengeSignedBytes(info_.salt, info_.opslimit, info_.memlimit,
                                        std::string(32, 'c')),
        ForgedSignature());
  });
  Session session = Connect();
  absl::StatusOr<LoginResult> login = session.Login({"alice", kDomain}, "correct horse");
  ASSERT_FALSE(login.ok());
  EXPECT_TRUE(IsCryptoFailure(login.status())) << login.status();
}

TEST_F(LoginV2Test, AuthenticationWithAnotherKeyIsRefused) {
  StartHonestServer();
  Session session = Connect();
  const absl::Status auth =
      session.Authenticate({"alice", kDomain}, crypto::GenerateKeyPair());
  EXPECT_EQ(auth.code(), absl::StatusCode::kPermissionDenied) << auth;
}

// --- FETCH -------------------------------------------------------------------

TEST_F(SessionTest, FetchReturnsTheMessageWithTheRequestedId) {
  const wire::MailMessage stored = MakeMessage("stored");
  StartServer([&](const wire::Command& command) -> std::optional<std::string> {
    return StatusBytes(server_key_, true, command.request_bytes, "ok") +
           wire::BlobPayload(stored.bytes);
  });
  Session session = Connect();
  absl::StatusOr<wire::MailMessage> fetched = session.Fetch(wire::MessageId(stored));
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_EQ(fetched->bytes, stored.bytes);
}

TEST_F(SessionTest, FetchRefusesASubstitutedMessage) {
  const wire::MailMessage asked = MakeMessage("the one asked for");
  const wire::MailMessage other = MakeMessage("something else");
  StartServer([&](const wire::Command& command) -> std::optional<std::string> {
    return StatusBytes(server_key_, true, command.request_bytes, "ok") +
           wire::BlobPayload(other.bytes);
  });
  Session session = Connect();
  absl::StatusOr<wire::MailMessage> fetched = session.Fetch(wire::MessageId(asked));
  ASSERT_FALSE(fetched.ok());
  EXPECT_TRUE(IsCryptoFailure(fetched.status())) << fetched.status();
}

TEST_F(SessionTest, FetchRejectsAMalformedIdWithoutAsking) {
  StartServer([](const wire::Command&) -> std::optional<std::string> { return {}; });
  Session session = Connect();
  EXPECT_EQ(session.Fetch("../etc/passwd").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server_->commands_seen(), 0);
}

TEST_F(SessionTest, ListReturnsTheEntries) {
  const std::vector<wire::ListEntry> entries = {
      {"0123456789abcdef0123456789abcdef", 99, 1'700'000'000'000, "alice", kDomain}};
  StartServer([&](const wire::Command& command) -> std::optional<std::string> {
    return StatusBytes(server_key_, true, command.request_bytes, "ok") +
           wire::ListPayload(entries);
  });
  Session session = Connect();
  absl::StatusOr<std::vector<wire::ListEntry>> listed = session.List();
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].message_id, entries[0].message_id);
  EXPECT_EQ((*listed)[0].src_account, "alice");
}

}  // namespace
}  // namespace cmtp::client
