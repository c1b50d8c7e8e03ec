#include <gtest/gtest.h>

#include <fstream>

#include "lib/client/password.h"
#include "tests/support/ports.h"

namespace cmtp::client {
namespace {

class PasswordFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& content) {
    const std::string path = dir_ + "/pw" + std::to_string(++count_);
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::string dir_ = cmtp::testing::MakeTempDir("cmtp-pw-");
  int count_ = 0;
};

TEST_F(PasswordFileTest, TakesTheFirstLineWithoutItsNewline) {
  absl::StatusOr<crypto::SecretBytes> password =
      ReadPasswordFile(Write("s3cret pw\nmore\n"));
  ASSERT_TRUE(password.ok()) << password.status();
  EXPECT_EQ(password->view(), "s3cret pw");
}

TEST_F(PasswordFileTest, StripsCarriageReturnAndAcceptsNoNewline) {
  EXPECT_EQ(ReadPasswordFile(Write("dos\r\n"))->view(), "dos");
  EXPECT_EQ(ReadPasswordFile(Write("bare"))->view(), "bare");
}

TEST_F(PasswordFileTest, KeepsInnerAndTrailingSpaces) {
  EXPECT_EQ(ReadPasswordFile(Write(" a b \n"))->view(), " a b ");
}

TEST_F(PasswordFileTest, EmptyOrMissingIsAUsageError) {
  EXPECT_EQ(ReadPasswordFile(Write("")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadPasswordFile(Write("\nsecond line\n")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadPasswordFile(dir_ + "/missing").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(PasswordFileTest, ObtainPrefersTheFile) {
  absl::StatusOr<crypto::SecretBytes> password =
      ObtainPassword(Write("from-file\n"), "prompt", /*confirm=*/true);
  ASSERT_TRUE(password.ok());
  EXPECT_EQ(password->view(), "from-file");
}

}  // namespace
}  // namespace cmtp::client
