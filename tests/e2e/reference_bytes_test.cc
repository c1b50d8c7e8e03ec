// A reference server's users, imported with cmtpctl, and the reference
// client's captured bytes sent unchanged to our gateway.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "lib/crypto/protocol_signatures.h"
#include "lib/crypto/sodium.h"
#include "tests/e2e/raw_client.h"
#include "tests/e2e/suite.h"
#include "tests/support/ports.h"

namespace cmtp::testing {
namespace {

using ::testing::HasSubstr;

class ReferenceBytesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(suite_.Start()) << "suite failed to start; logs in " << suite_.dir();
    // A reference server's data folder: mail/<user>/public.key and the xzibit.
    ref_ = MakeTempDir("cmtp-reference-");
    std::filesystem::create_directories(ref_ + "/mail/alice");
    std::filesystem::create_directories(ref_ + "/mail/bob");
    Copy("alice_public.key", ref_ + "/mail/alice/public.key");
    Copy("alice.xzibit", ref_ + "/mail/alice/alice.xzibit");
    Copy("bob_public.key", ref_ + "/mail/bob/public.key");
    auto r = suite_.Cmtpctl({"import-reference", ref_, "--domain=hawaii.edu"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  static void Copy(const std::string& vector, const std::string& to) {
    std::ofstream(to, std::ios::binary) << ReadFileOrDie(VectorPath(vector));
  }

  int64_t BobsMessages() {
    std::string n = suite_.redis().Cli({"ZCARD", "cmtp:mbox:{bob}:index"});
    return std::stoll(n.empty() ? "0" : n);
  }

  Suite suite_{"hawaii.edu"};
  std::string ref_;
};

TEST_F(ReferenceBytesTest, ReferenceClientMailIsStoredAndAcknowledged) {
  std::string capture = ReadFileOrDie(VectorPath("mail_from_alice_client.bin"));
  // The capture is "MAIL\0" + message + "OBAI\0".
  std::string message = capture.substr(5, capture.size() - 10);
  ASSERT_EQ(capture.substr(capture.size() - 5), std::string("OBAI\0", 5));

  RawClient client;
  ASSERT_TRUE(client.Connect(suite_.gateway_port()));
  ASSERT_TRUE(client.Send(capture));  // all of it at once, as the reference client does
  auto status = client.Read(wire::ReplyKind::kStatus);
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(status->has_status);
  EXPECT_TRUE(status->status.success) << status->status.detail;
  EXPECT_EQ(status->status.detail.size(), 32u);
  EXPECT_TRUE(crypto::VerifyStatus(suite_.server_public_key(), status->status, message))
      << "the SUCCESS must be a receipt for exactly these message bytes";
  EXPECT_EQ(client.ReadBytes(10), std::string("Good bye\n\0", 10));
  EXPECT_TRUE(client.ClosedByPeer());
  EXPECT_EQ(BobsMessages(), 1);

  auto stats = suite_.Cmtpctl({"stats", "bob"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_THAT(stats.out, HasSubstr("bob"));
}

TEST_F(ReferenceBytesTest, ReferenceKeyRequestWithTrailingNul) {
  RawClient client;
  ASSERT_TRUE(client.Connect(suite_.gateway_port()));
  ASSERT_TRUE(client.Send(std::string("KEYREQUEST\0bob\0hawaii.edu\0\0", 27)));
  auto block = client.Read(wire::ReplyKind::kKeyBlock);
  ASSERT_TRUE(block.has_value());
  ASSERT_TRUE(block->key_available);
  EXPECT_EQ(block->public_key, ReadFileOrDie(VectorPath("bob_public.key")));
  EXPECT_TRUE(
      crypto::Verify(suite_.server_public_key(), block->public_key, block->signature));
  // The stray NUL is ignored: the session still answers.
  ASSERT_TRUE(client.Send(std::string("NOOP\0", 5)));
  auto noop = client.Read(wire::ReplyKind::kText);
  ASSERT_TRUE(noop.has_value());
  EXPECT_EQ(noop->text, "O_O\n");
}

TEST_F(ReferenceBytesTest, ImportedV1AccountLogsInWithItsPassword) {
  std::string pw = suite_.PasswordFile("alice", "alicepw");
  std::string state = MakeTempDir("cmtp-alice-");
  auto r = suite_.Cmtp(state, {"inbox", "--server=" + suite_.gateway_address(),
                               "--account=alice@hawaii.edu", "--password-file=" + pw});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(ReferenceBytesTest, ImportIsIdempotent) {
  auto again = suite_.Cmtpctl({"import-reference", ref_, "--domain=hawaii.edu"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  auto list = suite_.Cmtpctl({"accounts", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("alice"));
  EXPECT_THAT(list.out, HasSubstr("bob"));
}

}  // namespace
}  // namespace cmtp::testing
