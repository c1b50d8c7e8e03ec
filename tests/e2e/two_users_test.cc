// Issue 2's whole capability, end to end: two people register with the CLI,
// exchange signed, encrypted mail with attachments through a real suite, read
// and delete it, and a second device reads with the password alone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/crypto/sodium.h"
#include "tests/e2e/suite.h"
#include "tests/support/ports.h"

namespace cmtp::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class TwoUsersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(suite_.Start()) << "suite failed to start; logs in " << suite_.dir();
    work_ = MakeTempDir("cmtp-two-users-");
    alice_pw_ = suite_.PasswordFile("alice", "correct horse alice");
    bob_pw_ = suite_.PasswordFile("bob", "battery staple bob");
  }

  std::string State(const std::string& name) {
    std::string dir = work_ + "/" + name;
    std::filesystem::create_directories(dir);
    return dir;
  }

  std::string WriteFile(const std::string& name, const std::string& bytes) {
    std::string path = work_ + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  void Register(const std::string& state, const std::string& account,
                const std::string& pw) {
    auto r = suite_.Cmtp(state, {"register", "--server=" + suite_.gateway_address(),
                                 "--account=" + account, "--password-file=" + pw});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Sends and returns the message id the CLI printed.
  std::string Send(const std::string& state, const std::string& pw, const std::string& to,
                   const std::string& subject, const std::string& text,
                   const std::vector<std::string>& attachments) {
    std::vector<std::string> args = {"send", "--to=" + to, "--subject=" + subject,
                                     "--password-file=" + pw};
    for (const auto& a : attachments) args.push_back("--attach=" + a);
    auto r = suite_.Cmtp(state, args, text);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::string(absl::StripAsciiWhitespace(r.out));
  }

  Suite suite_{"example.org"};
  std::string work_, alice_pw_, bob_pw_;
};

TEST_F(TwoUsersTest, ExchangeReadDeleteAndSecondDevice) {
  std::string alice = State("alice"), bob = State("bob");
  Register(alice, "alice@example.org", alice_pw_);
  Register(bob, "bob@example.org", bob_pw_);

  // alice → bob with two attachments (one binary, one text).
  std::string photo = crypto::RandomBytes(200'000);
  std::string notes = "meeting notes\nline two\n";
  std::string a1 = WriteFile("photo.bin", photo), a2 = WriteFile("notes.txt", notes);
  std::string id1 = Send(alice, alice_pw_, "bob@example.org", "Hello Bob",
                         "Hi Bob,\nthe files are attached.\n", {a1, a2});
  ASSERT_EQ(id1.size(), 32u) << id1;

  auto inbox = suite_.Cmtp(bob, {"inbox", "--password-file=" + bob_pw_});
  ASSERT_EQ(inbox.exit_code, 0) << inbox.err;
  EXPECT_THAT(inbox.out, HasSubstr(id1));
  EXPECT_THAT(inbox.out, HasSubstr("alice@example.org"));

  std::string out1 = work_ + "/bob-read";
  auto read =
      suite_.Cmtp(bob, {"read", id1, "--out-dir=" + out1, "--password-file=" + bob_pw_});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_THAT(read.out, HasSubstr("Hello Bob"));
  EXPECT_THAT(read.out, HasSubstr("the files are attached."));
  EXPECT_THAT(read.out, HasSubstr("Signature: verified"));
  EXPECT_EQ(ReadFileOrDie(out1 + "/photo.bin"), photo);
  EXPECT_EQ(ReadFileOrDie(out1 + "/notes.txt"), notes);

  // bob → alice, two attachments the other way.
  std::string pdf = crypto::RandomBytes(70'000), csv = "a,b\n1,2\n";
  std::string b1 = WriteFile("report.pdf", pdf), b2 = WriteFile("data.csv", csv);
  std::string id2 = Send(bob, bob_pw_, "alice@example.org", "Re: Hello Bob",
                         "Thanks, Alice!", {b1, b2});
  ASSERT_EQ(id2.size(), 32u) << id2;
  std::string out2 = work_ + "/alice-read";
  auto read2 = suite_.Cmtp(
      alice, {"read", id2, "--out-dir=" + out2, "--password-file=" + alice_pw_});
  ASSERT_EQ(read2.exit_code, 0) << read2.err;
  EXPECT_THAT(read2.out, HasSubstr("Thanks, Alice!"));
  EXPECT_THAT(read2.out, HasSubstr("Signature: verified"));
  EXPECT_EQ(ReadFileOrDie(out2 + "/report.pdf"), pdf);
  EXPECT_EQ(ReadFileOrDie(out2 + "/data.csv"), csv);

  // bob deletes what he read; it is gone from his inbox.
  auto del = suite_.Cmtp(bob, {"delete", id1, "--password-file=" + bob_pw_});
  ASSERT_EQ(del.exit_code, 0) << del.err;
  auto inbox_after = suite_.Cmtp(bob, {"inbox", "--password-file=" + bob_pw_});
  ASSERT_EQ(inbox_after.exit_code, 0) << inbox_after.err;
  EXPECT_THAT(inbox_after.out, Not(HasSubstr(id1)));

  // A second device: nothing but the server, the account and the password.
  std::string laptop = State("alice-laptop");
  auto inbox2 = suite_.Cmtp(
      laptop, {"inbox", "--server=" + suite_.gateway_address(),
               "--account=alice@example.org", "--password-file=" + alice_pw_});
  ASSERT_EQ(inbox2.exit_code, 0) << inbox2.err;
  EXPECT_THAT(inbox2.out, HasSubstr(id2));
  std::string out3 = work_ + "/laptop-read";
  auto read3 = suite_.Cmtp(
      laptop, {"read", id2, "--out-dir=" + out3, "--password-file=" + alice_pw_});
  ASSERT_EQ(read3.exit_code, 0) << read3.err;
  EXPECT_THAT(read3.out, HasSubstr("Thanks, Alice!"));
  EXPECT_THAT(read3.out, HasSubstr("Signature: verified"));
  EXPECT_EQ(ReadFileOrDie(out3 + "/report.pdf"), pdf);
}

TEST_F(TwoUsersTest, WrongPasswordOnAFreshDeviceIsRefused) {
  std::string alice = State("alice");
  Register(alice, "alice@example.org", alice_pw_);
  std::string wrong = suite_.PasswordFile("wrong", "not alices password");
  std::string fresh = State("fresh");
  auto r =
      suite_.Cmtp(fresh, {"inbox", "--server=" + suite_.gateway_address(),
                          "--account=alice@example.org", "--password-file=" + wrong});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("password"));
  // Nothing was saved for the failed login.
  auto again = suite_.Cmtp(fresh, {"inbox", "--password-file=" + alice_pw_});
  EXPECT_NE(again.exit_code, 0);
}

}  // namespace
}  // namespace cmtp::testing
