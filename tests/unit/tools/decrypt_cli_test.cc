// `cmtp decrypt` end to end without a network: a message built and sealed
// as `cmtp send` does, opened with the recipient's xzibit and checked against
// the pins.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "lib/client/new_account.h"
#include "lib/client/outgoing_mail.h"
#include "lib/crypto/sealed.h"
#include "lib/crypto/xzibit.h"
#include "lib/wire/serializer.h"
#include "tests/support/ports.h"
#include "tools/cmtp/cli.h"
#include "tools/cmtp/exit_codes.h"
#include "tools/cmtp/pins.h"

namespace cmtp::cli {
namespace {

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

class DecryptCliTest : public ::testing::Test {
 protected:
  DecryptCliTest() {
    crypto::EnsureSodium();
    absl::StatusOr<client::NewAccount> bob = client::MakeNewAccount(
        {"bob", "example.org"}, "bobpw", crypto::KdfCost::kInteractive);
    EXPECT_TRUE(bob.ok());
    bob_public_key_ = bob->identity.public_key;
    WriteFile(dir_ + "/bob.xzibit", bob->xzibit);
    WriteFile(dir_ + "/pw", "bobpw\n");
  }

  std::string WriteMessage(const std::string& text,
                           std::vector<crypto::Attachment> attachments = {}) {
    client::OutgoingMail mail;
    mail.sender = {"alice", "example.org"};
    mail.recipient = {"bob", "example.org"};
    mail.recipient_public_key = bob_public_key_;
    mail.inner.timestamp_unix_ms = 1'453'370'400'000;
    mail.inner.from = "alice@example.org";
    mail.inner.to = "bob@example.org";
    mail.inner.subject = "Greetings";
    mail.inner.text = text;
    mail.attachments = std::move(attachments);
    absl::StatusOr<wire::MailMessage> message = client::BuildMail(mail, alice_);
    EXPECT_TRUE(message.ok()) << message.status();
    const std::string path = dir_ + "/message";
    WriteFile(path, message->bytes);
    return path;
  }

  void PinAlice(const std::string& key) {
    absl::StatusOr<PinStore> pins = PinStore::Load(dir_ + "/state/pins");
    ASSERT_TRUE(pins.ok());
    pins->Pin("alice@example.org", key);
    ASSERT_TRUE(pins->Save().ok());
  }

  int Decrypt(const std::string& message_path, std::string& out, std::string& err) {
    std::istringstream in;
    std::ostringstream out_stream;
    std::ostringstream err_stream;
    Terminal terminal{in, out_stream, err_stream};
    const int code = RunCli({"decrypt", "--xzibit", dir_ + "/bob.xzibit", "--message",
                             message_path, "--password-file", dir_ + "/pw", "--state-dir",
                             dir_ + "/state", "--out-dir", dir_ + "/files"},
                            terminal);
    out = out_stream.str();
    err = err_stream.str();
    return code;
  }

  std::string dir_ = cmtp::testing::MakeTempDir("cmtp-decrypt-");
  crypto::KeyPair alice_ = crypto::GenerateKeyPair();
  std::string bob_public_key_;
};

TEST_F(DecryptCliTest, VerifiedMessagePrintsHeadersTextAndSavesAttachments) {
  PinAlice(alice_.public_key);
  const std::string path = WriteMessage("Hello Bob!\n", {{"list.txt", "milk, eggs"}});
  std::string out, err;
  ASSERT_EQ(Decrypt(path, out, err), kExitOk) << err;
  EXPECT_NE(out.find("From: alice@example.org\n"), std::string::npos) << out;
  EXPECT_NE(out.find("To: bob@example.org\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Date: 2016-01-21T10:00:00Z\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Subject: Greetings\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Signature: verified (alice@example.org)\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("\nHello Bob!\n"), std::string::npos) << out;
  EXPECT_EQ(cmtp::testing::ReadFileOrDie(dir_ + "/files/list.txt"), "milk, eggs");
}

TEST_F(DecryptCliTest, UnpinnedSenderIsNotVerifiedAndExitsThree) {
  const std::string path = WriteMessage("hi");
  std::string out, err;
  EXPECT_EQ(Decrypt(path, out, err), kExitCrypto);
  EXPECT_NE(out.find("Signature: NOT VERIFIED\n"), std::string::npos) << out;
  EXPECT_NE(err.find("no pinned key"), std::string::npos) << err;
}

TEST_F(DecryptCliTest, WrongPinnedKeyIsNotVerified) {
  PinAlice(crypto::GenerateKeyPair().public_key);
  std::string out, err;
  EXPECT_EQ(Decrypt(WriteMessage("hi"), out, err), kExitCrypto);
  EXPECT_NE(out.find("Signature: NOT VERIFIED"), std::string::npos) << out;
}

TEST_F(DecryptCliTest, WrongPasswordExitsThree) {
  WriteFile(dir_ + "/pw", "not bobs\n");
  std::string out, err;
  EXPECT_EQ(Decrypt(WriteMessage("hi"), out, err), kExitCrypto) << err;
}

TEST_F(DecryptCliTest, CaptureWithMailWordAndTrailerIsAccepted) {
  PinAlice(alice_.public_key);
  const std::string bytes = cmtp::testing::ReadFileOrDie(WriteMessage("again"));
  const std::string path = dir_ + "/captured";
  WriteFile(path, std::string("MAIL\0", 5) + bytes + std::string(64, '\x07'));
  std::string out, err;
  EXPECT_EQ(Decrypt(path, out, err), kExitOk) << err;
}

TEST_F(DecryptCliTest, RawTextFromTheReferenceClientIsShownAsUnsigned) {
  absl::StatusOr<std::string> body = crypto::SealTo(bob_public_key_, "raw hello");
  ASSERT_TRUE(body.ok());
  wire::MailHeader header;
  header.dst_account = "bob";
  header.dst_domain = "example.org";
  header.src_account = "alice";
  header.src_domain = "hawaii.edu";
  const std::string path = dir_ + "/raw";
  WriteFile(path, wire::SerializeMessage(header, "", *body, {}));
  std::string out, err;
  ASSERT_EQ(Decrypt(path, out, err), kExitOk) << err;
  EXPECT_NE(out.find("From: alice@hawaii.edu\n"), std::string::npos) << out;
  EXPECT_NE(
      out.find("Signature: none (unsigned raw text, e.g. from the reference client)\n"),
      std::string::npos)
      << out;
  EXPECT_NE(out.find("\nraw hello\n"), std::string::npos) << out;
}

TEST_F(DecryptCliTest, NotAMessageIsAUsageError) {
  const std::string path = dir_ + "/junk";
  WriteFile(path, "this is not a CMTP message");
  std::string out, err;
  EXPECT_EQ(Decrypt(path, out, err), kExitUsage) << err;
}

}  // namespace
}  // namespace cmtp::cli
