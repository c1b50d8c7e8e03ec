// Two users of the `cmtp` CLI exchange signed, encrypted mail with
// attachments through a whole suite; a second device reads the same mail
// with the password alone.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/integration/suite.h"
#include "tests/support/ports.h"

namespace cmtp::integration {
namespace {

using ::cmtp::testing::ReadFileOrDie;

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 random(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(random() & 0xff);
  return out;
}

struct Attachment {
  std::string name;
  std::string content;
};

class IntegrationMailExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    suite_ = std::make_unique<Suite>();
    ASSERT_TRUE(suite_->Start()) << suite_->error();
  }

  void Register(const User& user) {
    CommandResult r = RunCli(*suite_, user, "register");
    ASSERT_EQ(r.exit_code, 0) << Describe(r) << suite_->Logs();
  }

  // Sends `text` with the attachments; returns the message id it printed.
  std::string Send(const User& from, const User& to, const std::string& subject,
                   const std::string& text, const std::vector<Attachment>& attachments) {
    std::vector<std::string> args = {"--to", to.account, "--subject", subject};
    std::string dir = suite_->NewDir("outgoing");
    for (const Attachment& a : attachments) {
      std::string path = absl::StrCat(dir, "/", a.name);
      std::ofstream(path, std::ios::binary) << a.content;
      args.insert(args.end(), {"--attach", path});
    }
    CommandResult r = RunCli(*suite_, from, "send", args, text);
    EXPECT_EQ(r.exit_code, 0) << Describe(r) << suite_->Logs();
    std::string id(absl::StripAsciiWhitespace(r.out));
    EXPECT_EQ(id.size(), 32u) << "send should print the message id: " << Describe(r);
    return id;
  }

  // `cmtp inbox` succeeds and lists `id` from `sender`.
  void ExpectListed(const User& user, const std::string& id, const User& sender) {
    CommandResult r = RunCli(*suite_, user, "inbox");
    ASSERT_EQ(r.exit_code, 0) << Describe(r) << suite_->Logs();
    bool found = false;
    std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
    for (const std::string& line : lines) {
      if (absl::StartsWith(line, id)) {
        found = true;
        EXPECT_TRUE(absl::StrContains(line, sender.account)) << line;
      }
    }
    EXPECT_TRUE(found) << id << " not in the inbox of " << user.account << ": "
                       << Describe(r);
  }

  void ExpectNotListed(const User& user, const std::string& id) {
    CommandResult r = RunCli(*suite_, user, "inbox");
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    EXPECT_FALSE(absl::StrContains(r.out, id)) << Describe(r);
  }

  // `cmtp read` shows the text and a verified signature and saves the
  // attachments byte for byte.
  void ExpectReadable(const User& user, const std::string& id, const User& sender,
                      const std::string& subject, const std::string& text,
                      const std::vector<Attachment>& attachments) {
    std::string out_dir = suite_->NewDir("read") + "/attachments";
    CommandResult r = RunCli(*suite_, user, "read", {id, "--out-dir", out_dir});
    ASSERT_EQ(r.exit_code, 0) << Describe(r) << suite_->Logs();
    EXPECT_TRUE(absl::StrContains(r.out, "Signature: verified")) << Describe(r);
    EXPECT_TRUE(absl::StrContains(r.out, text)) << Describe(r);
    EXPECT_TRUE(absl::StrContains(r.out, absl::StrCat("From: ", sender.account)))
        << Describe(r);
    EXPECT_TRUE(absl::StrContains(r.out, absl::StrCat("Subject: ", subject)))
        << Describe(r);
    for (const Attachment& a : attachments) {
      std::string path = absl::StrCat(out_dir, "/", a.name);
      ASSERT_TRUE(std::filesystem::exists(path)) << path << " not saved: " << Describe(r);
      EXPECT_TRUE(ReadFileOrDie(path) == a.content)
          << path << " differs from what was sent";
    }
    size_t saved = 0;
    std::error_code ec;  // no attachments: the folder need not exist
    for (std::filesystem::directory_iterator it(out_dir, ec), end; !ec && it != end;
         ++it) {
      ++saved;
    }
    EXPECT_EQ(saved, attachments.size());
  }

  std::unique_ptr<Suite> suite_;
};

TEST_F(IntegrationMailExchangeTest, AliceAndBobExchangeMailWithAttachments) {
  User alice = MakeUser(*suite_, "alice", "correct horse battery staple");
  User bob = MakeUser(*suite_, "bob", "bob's own passphrase");
  Register(alice);
  Register(bob);
  ASSERT_FALSE(HasFatalFailure());

  const std::vector<Attachment> to_bob = {
      {"notes.txt", "line one\nline two\n"},
      {"photo.bin", RandomBytes(200 * 1024, 1) + std::string(3, '\0')}};
  const std::string text_to_bob = "Hello Bob,\nhere are the notes and the photo.\n";
  const std::string to_bob_id = Send(alice, bob, "Notes for Bob", text_to_bob, to_bob);

  const std::vector<Attachment> to_alice = {
      {"reply.csv", "a,b,c\n1,2,3\n"}, {"archive.tar", RandomBytes(64 * 1024 + 7, 2)}};
  const std::string text_to_alice = "Thanks Alice!\nTwo files back.\n";
  const std::string to_alice_id =
      Send(bob, alice, "Re: Notes for Bob", text_to_alice, to_alice);
  ASSERT_FALSE(HasFailure());
  EXPECT_NE(to_bob_id, to_alice_id);

  ExpectListed(bob, to_bob_id, alice);
  ExpectReadable(bob, to_bob_id, alice, "Notes for Bob", text_to_bob, to_bob);
  ExpectListed(alice, to_alice_id, bob);
  ExpectReadable(alice, to_alice_id, bob, "Re: Notes for Bob", text_to_alice, to_alice);

  // Bob on a second device: nothing but the account and the password.
  User bob_laptop = OtherDevice(*suite_, bob);
  ExpectListed(bob_laptop, to_bob_id, alice);
  ExpectReadable(bob_laptop, to_bob_id, alice, "Notes for Bob", text_to_bob, to_bob);

  // Delete: gone for every device, and only for its owner.
  CommandResult deleted = RunCli(*suite_, bob, "delete", {to_bob_id});
  EXPECT_EQ(deleted.exit_code, 0) << Describe(deleted);
  ExpectNotListed(bob, to_bob_id);
  ExpectNotListed(bob_laptop, to_bob_id);
  ExpectListed(alice, to_alice_id, bob);
  CommandResult gone = RunCli(*suite_, bob, "read", {to_bob_id});
  EXPECT_NE(gone.exit_code, 0) << Describe(gone);
  deleted = RunCli(*suite_, alice, "delete", {to_alice_id});
  EXPECT_EQ(deleted.exit_code, 0) << Describe(deleted);
  ExpectNotListed(alice, to_alice_id);
}

TEST_F(IntegrationMailExchangeTest, OtherUsersCannotReadOrDeleteSomeoneElsesMail) {
  User alice = MakeUser(*suite_, "alice", "alice-password-1");
  User bob = MakeUser(*suite_, "bob", "bob-password-2");
  User eve = MakeUser(*suite_, "eve", "eve-password-3");
  Register(alice);
  Register(bob);
  Register(eve);
  ASSERT_FALSE(HasFatalFailure());
  const std::string id = Send(alice, bob, "private", "for bob only\n", {});
  ASSERT_FALSE(HasFailure());
  ExpectNotListed(eve, id);
  CommandResult read = RunCli(*suite_, eve, "read", {id});
  EXPECT_NE(read.exit_code, 0) << Describe(read);
  EXPECT_FALSE(absl::StrContains(read.out, "for bob only"));
  CommandResult deleted = RunCli(*suite_, eve, "delete", {id});
  (void)deleted;  // whatever eve is told, bob still has the message:
  ExpectListed(bob, id, alice);
  ExpectReadable(bob, id, alice, "private", "for bob only\n", {});
}

TEST_F(IntegrationMailExchangeTest, RegisteringTheSameAccountTwiceIsRefused) {
  User alice = MakeUser(*suite_, "alice", "first password");
  Register(alice);
  ASSERT_FALSE(HasFatalFailure());
  User impostor = MakeUser(*suite_, "alice", "second password");
  CommandResult again = RunCli(*suite_, impostor, "register");
  EXPECT_NE(again.exit_code, 0) << Describe(again);
  // The first registration still logs in; the impostor's password does not.
  User alice_elsewhere = OtherDevice(*suite_, alice);
  CommandResult inbox = RunCli(*suite_, alice_elsewhere, "inbox");
  EXPECT_EQ(inbox.exit_code, 0) << Describe(inbox);
  User impostor_elsewhere = OtherDevice(*suite_, impostor);
  inbox = RunCli(*suite_, impostor_elsewhere, "inbox");
  EXPECT_NE(inbox.exit_code, 0) << Describe(inbox);
}

}  // namespace
}  // namespace cmtp::integration
