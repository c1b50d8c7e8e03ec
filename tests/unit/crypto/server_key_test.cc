// The server key file: created once with mode 0600, loaded the same way
// afterwards, and racing creators agree on one key.
#include "lib/crypto/server_key.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "lib/crypto/sodium.h"
#include "tests/support/ports.h"

namespace cmtp::crypto {
namespace {

using ::cmtp::testing::MakeTempDir;
using ::cmtp::testing::ReadFileOrDie;
using ::cmtp::testing::VectorPath;

class ServerKeyTest : public ::testing::Test {
 protected:
  void SetUp() override { folder_ = MakeTempDir("cmtp_server_key_"); }
  void TearDown() override { std::filesystem::remove_all(folder_); }

  void WriteFile(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
  }

  std::string folder_;
};

TEST_F(ServerKeyTest, CreatesAMode0600KeyThenLoadsTheSameOne) {
  const std::string path = folder_ + "/server.key";
  absl::StatusOr<KeyPair> created = LoadOrCreateServerKey(path);
  ASSERT_TRUE(created.ok()) << created.status();

  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(info.st_size, 64);
  EXPECT_EQ(ReadFileOrDie(path), created->secret_key.view());

  absl::StatusOr<KeyPair> again = LoadOrCreateServerKey(path);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->public_key, created->public_key);
  absl::StatusOr<KeyPair> loaded = LoadServerKey(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->public_key, created->public_key);

  // No temporary files are left beside it.
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator(folder_)) {
    ++entries;
  }
  EXPECT_EQ(entries, 1u);
}

TEST_F(ServerKeyTest, CreatesAMissingParentFolder) {
  const std::string path = folder_ + "/secrets/nested/server.key";
  absl::StatusOr<KeyPair> created = LoadOrCreateServerKey(path);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST_F(ServerKeyTest, LoadsTheReferenceKey) {
  const std::string path = folder_ + "/server.key";
  WriteFile(path, ReadFileOrDie(VectorPath("server_private.key")));
  absl::StatusOr<KeyPair> loaded = LoadOrCreateServerKey(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->public_key, ReadFileOrDie(VectorPath("server_public.key")));
}

TEST_F(ServerKeyTest, RacingCreatorsAgreeOnOneKey) {
  for (int round = 0; round < 20; ++round) {
    const std::string path = folder_ + "/race" + std::to_string(round) + ".key";
    std::vector<std::string> public_keys(2);
    std::vector<std::thread> creators;
    for (size_t i = 0; i < public_keys.size(); ++i) {
      creators.emplace_back([&, i] {
        absl::StatusOr<KeyPair> key = LoadOrCreateServerKey(path);
        if (key.ok()) public_keys[i] = key->public_key;
      });
    }
    for (std::thread& creator : creators) creator.join();
    ASSERT_EQ(public_keys[0].size(), kPublicKeySize) << "round " << round;
    EXPECT_EQ(public_keys[0], public_keys[1]) << "round " << round;
    absl::StatusOr<KeyPair> on_disk = LoadServerKey(path);
    ASSERT_TRUE(on_disk.ok()) << on_disk.status();
    EXPECT_EQ(on_disk->public_key, public_keys[0]);
  }
}

TEST_F(ServerKeyTest, MissingFileIsNotFoundForLoad) {
  absl::StatusOr<KeyPair> loaded = LoadServerKey(folder_ + "/absent.key");
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ServerKeyTest, WrongSizeIsAnErrorAndIsNotReplaced) {
  const std::string path = folder_ + "/server.key";
  WriteFile(path, std::string(63, 'k'));
  absl::StatusOr<KeyPair> loaded = LoadOrCreateServerKey(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(loaded.status().message().find("63"), absl::string_view::npos);
  EXPECT_EQ(ReadFileOrDie(path), std::string(63, 'k'));
}

TEST_F(ServerKeyTest, CorruptPublicHalfIsAnError) {
  const std::string path = folder_ + "/server.key";
  std::string secret = ReadFileOrDie(VectorPath("server_private.key"));
  secret[40] ^= 0x01;
  WriteFile(path, secret);
  absl::StatusOr<KeyPair> loaded = LoadOrCreateServerKey(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ServerKeyTest, ADirectoryIsNotAKeyFile) {
  EXPECT_FALSE(LoadServerKey(folder_).ok());
}

}  // namespace
}  // namespace cmtp::crypto
