#include "tools/cmtp/client_state.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/support/ports.h"

namespace cmtp::cli {
namespace {

TEST(ClientStateTest, MissingFolderIsEmpty) {
  absl::StatusOr<ClientState> state =
      ClientState::Load(cmtp::testing::MakeTempDir("cmtp-state-") + "/none");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_FALSE(state->server().has_value());
  EXPECT_FALSE(state->account().has_value());
  EXPECT_FALSE(state->XzibitFor("alice@example.org").has_value());
}

TEST(ClientStateTest, SavedAccountReloadsWithPrivateFiles) {
  const std::string dir = cmtp::testing::MakeTempDir("cmtp-state-") + "/state";
  absl::StatusOr<ClientState> state = ClientState::Load(dir);
  ASSERT_TRUE(state.ok());
  const std::string xzibit("\0\0\0\2sealed", 10);
  ASSERT_TRUE(state->SaveAccount("[::1]:9001", "alice@example.org", xzibit).ok());

  absl::StatusOr<ClientState> reloaded = ClientState::Load(dir);
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(reloaded->server(), "[::1]:9001");
  EXPECT_EQ(reloaded->account(), "alice@example.org");
  EXPECT_EQ(reloaded->XzibitFor("alice@example.org"), xzibit);
  // The xzibit of another account is never handed out for this one.
  EXPECT_FALSE(reloaded->XzibitFor("bob@example.org").has_value());

  struct stat info {};
  ASSERT_EQ(stat((dir + "/xzibit").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(dir.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0077, 0u);
}

}  // namespace
}  // namespace cmtp::cli
