// Building a message as the sender does and opening it as the recipient
// does, and the signature verdicts a reader gets for honest, re-sealed,
// mis-attributed and unsigned messages.
#include <gtest/gtest.h>

#include "lib/client/failures.h"
#include "lib/client/message_bytes.h"
#include "lib/client/outgoing_mail.h"
#include "lib/client/received_mail.h"
#include "lib/crypto/inner_message.h"
#include "lib/wire/serializer.h"
#include "tests/support/ports.h"

namespace cmtp::client {
namespace {

using cmtp::testing::ReadFileOrDie;
using cmtp::testing::VectorPath;

class MailRoundTripTest : public ::testing::Test {
 protected:
  MailRoundTripTest() {
    crypto::EnsureSodium();
    mail_.sender = {"alice", "example.org"};
    mail_.recipient = {"bob", "example.org"};
    mail_.recipient_public_key = bob_.public_key;
    mail_.inner.timestamp_unix_ms = 1'700'000'000'000;
    mail_.inner.from = "alice@example.org";
    mail_.inner.to = "bob@example.org";
    mail_.inner.subject = "lunch";
    mail_.inner.cc = {"carol@example.org"};
    mail_.inner.text = "at noon?\n";
  }

  OpenedMail BuildAndOpen(const crypto::KeyPair& reader) {
    absl::StatusOr<wire::MailMessage> message = BuildMail(mail_, alice_);
    EXPECT_TRUE(message.ok()) << message.status();
    absl::StatusOr<OpenedMail> opened = OpenMail(*message, reader);
    EXPECT_TRUE(opened.ok()) << opened.status();
    return *opened;
  }

  crypto::KeyPair alice_ = crypto::GenerateKeyPair();
  crypto::KeyPair bob_ = crypto::GenerateKeyPair();
  crypto::KeyPair carol_ = crypto::GenerateKeyPair();
  OutgoingMail mail_;
};

TEST_F(MailRoundTripTest, RecipientOpensAndVerifies) {
  mail_.attachments = {{"notes.txt", "bring cash"},
                       {"map.bin", std::string("\0\1\2", 3)}};
  const OpenedMail opened = BuildAndOpen(bob_);
  EXPECT_EQ(opened.envelope.dst_account, "bob");
  EXPECT_EQ(opened.envelope.src_account, "alice");
  ASSERT_TRUE(opened.inner.structured);
  EXPECT_EQ(opened.inner.message.subject, "lunch");
  EXPECT_EQ(opened.inner.message.text, "at noon?\n");
  ASSERT_EQ(opened.attachments.size(), 2u);
  EXPECT_EQ(opened.attachments[0].filename, "notes.txt");
  EXPECT_EQ(opened.attachments[1].data, std::string("\0\1\2", 3));

  const SignatureCheck check =
      CheckSignature(opened, {"bob", "example.org"}, alice_.public_key);
  EXPECT_EQ(check.verdict, SignatureVerdict::kVerified) << check.reason;
  EXPECT_EQ(check.signer, "alice@example.org");
}

TEST_F(MailRoundTripTest, CcRecipientVerifiesItsOwnCopy) {
  mail_.recipient = {"carol", "example.org"};
  mail_.recipient_public_key = carol_.public_key;
  const OpenedMail opened = BuildAndOpen(carol_);
  EXPECT_EQ(CheckSignature(opened, {"carol", "example.org"}, alice_.public_key).verdict,
            SignatureVerdict::kVerified);
}

TEST_F(MailRoundTripTest, WrongSenderKeyIsNotVerified) {
  const OpenedMail opened = BuildAndOpen(bob_);
  const SignatureCheck check = CheckSignature(opened, {"bob", "example.org"},
                                              crypto::GenerateKeyPair().public_key);
  EXPECT_EQ(check.verdict, SignatureVerdict::kNotVerified);
  EXPECT_FALSE(check.reason.empty());
}

TEST_F(MailRoundTripTest, MissingSenderKeyIsNotVerified) {
  const OpenedMail opened = BuildAndOpen(bob_);
  EXPECT_EQ(CheckSignature(opened, {"bob", "example.org"}, std::nullopt).verdict,
            SignatureVerdict::kNotVerified);
}

TEST_F(MailRoundTripTest, CopyResealedToSomeoneElseIsNotVerified) {
  // Dave was neither `to` nor `cc`: a signed message that reaches him was
  // re-sealed by someone, and must not pass as written to him.
  const crypto::KeyPair dave = crypto::GenerateKeyPair();
  mail_.recipient = {"dave", "example.org"};
  mail_.recipient_public_key = dave.public_key;
  const OpenedMail opened = BuildAndOpen(dave);
  const SignatureCheck check =
      CheckSignature(opened, {"dave", "example.org"}, alice_.public_key);
  EXPECT_EQ(check.verdict, SignatureVerdict::kNotVerified);
  EXPECT_NE(check.reason.find("written to"), std::string::npos) << check.reason;
}

TEST_F(MailRoundTripTest, EnvelopeSenderDifferentFromSignerIsNotVerified) {
  mail_.sender = {"mallory", "example.org"};
  mail_.inner.from = "mallory@example.org";
  absl::StatusOr<wire::MailMessage> message = BuildMail(mail_, alice_);
  ASSERT_TRUE(message.ok());
  // Rewrite the envelope to claim alice while the inner message says mallory.
  wire::MailHeader header = message->header;
  header.src_account = "alice";
  const std::string bytes = wire::SerializeMessage(header, "", message->body(), {});
  absl::StatusOr<ParsedMessageBytes> parsed = ParseMessageBytes(bytes, wire::Limits{});
  ASSERT_TRUE(parsed.ok());
  absl::StatusOr<OpenedMail> opened = OpenMail(parsed->message, bob_);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(CheckSignature(*opened, {"bob", "example.org"}, alice_.public_key).verdict,
            SignatureVerdict::kNotVerified);
}

TEST_F(MailRoundTripTest, RawTextBodyIsUnsigned) {
  absl::StatusOr<std::string> body = crypto::SealTo(bob_.public_key, "plain old text");
  ASSERT_TRUE(body.ok());
  wire::MailHeader header{1, 0, 0, 0, "bob", "example.org", "alice", "example.org"};
  absl::StatusOr<ParsedMessageBytes> parsed =
      ParseMessageBytes(wire::SerializeMessage(header, "", *body, {}), wire::Limits{});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  absl::StatusOr<OpenedMail> opened = OpenMail(parsed->message, bob_);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_FALSE(opened->inner.structured);
  EXPECT_EQ(opened->inner.message.text, "plain old text");
  EXPECT_EQ(CheckSignature(*opened, {"bob", "example.org"}, std::nullopt).verdict,
            SignatureVerdict::kUnsigned);
}

TEST_F(MailRoundTripTest, SomeoneElsesKeyCannotOpen) {
  absl::StatusOr<wire::MailMessage> message = BuildMail(mail_, alice_);
  ASSERT_TRUE(message.ok());
  absl::StatusOr<OpenedMail> opened = OpenMail(*message, carol_);
  ASSERT_FALSE(opened.ok());
  EXPECT_TRUE(IsCryptoFailure(opened.status())) << opened.status();
}

TEST_F(MailRoundTripTest, BuildRefusesAnInnerFromThatIsNotTheSender) {
  mail_.inner.from = "someone@else.org";
  EXPECT_EQ(BuildMail(mail_, alice_).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(MailRoundTripTest, BuildAppliesTheAttachmentLimit) {
  wire::Limits limits;
  limits.max_attachments = 1;
  mail_.attachments = {{"a", "1"}, {"b", "2"}};
  EXPECT_EQ(BuildMail(mail_, alice_, limits).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(MessageBytesTest, ParsesTheReferenceClientsMessage) {
  std::string capture = ReadFileOrDie(VectorPath("mail_from_alice_client.bin"));
  ASSERT_EQ(capture.substr(0, 5), std::string("MAIL\0", 5));
  ASSERT_EQ(capture.substr(capture.size() - 5), std::string("OBAI\0", 5));
  const std::string message_bytes = capture.substr(5, capture.size() - 10);
  absl::StatusOr<ParsedMessageBytes> parsed =
      ParseMessageBytes(message_bytes, wire::Limits{});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->trailing_bytes, 0u);
  EXPECT_EQ(parsed->message.header.dst_account, "bob");
  EXPECT_EQ(parsed->message.header.dst_domain, "hawaii.edu");
  EXPECT_EQ(parsed->message.header.src_account, "alice");
  EXPECT_EQ(parsed->message.body().size(), 99u);
  EXPECT_EQ(parsed->message.bytes, message_bytes);

  // A stored proof-of-work trailer is counted, not swallowed.
  absl::StatusOr<ParsedMessageBytes> with_trailer =
      ParseMessageBytes(message_bytes + std::string(64, 'p'), wire::Limits{});
  ASSERT_TRUE(with_trailer.ok());
  EXPECT_EQ(with_trailer->trailing_bytes, 64u);
  EXPECT_EQ(with_trailer->message.bytes, message_bytes);

  EXPECT_FALSE(ParseMessageBytes(message_bytes.substr(0, 40), wire::Limits{}).ok());
}

}  // namespace
}  // namespace cmtp::client
