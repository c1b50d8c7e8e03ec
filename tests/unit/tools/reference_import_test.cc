#include "tools/cmtpctl/reference_import.h"

#include <gtest/gtest.h>

#include "lib/wire/message_id.h"
#include "tests/support/ports.h"
#include "tests/unit/tools/reference_data_folder.h"

namespace cmtp::ctl {
namespace {

using cmtp::testing::MakeReferenceDataFolder;
using cmtp::testing::ReadFileOrDie;
using cmtp::testing::ReferenceMessageBytes;
using cmtp::testing::VectorPath;
using cmtp::testing::WriteBytes;

TEST(ScanReferenceFolderTest, FindsUsersKeysXzibitsAndMessages) {
  const std::string root = MakeReferenceDataFolder();
  absl::StatusOr<ReferenceScan> scan = ScanReferenceFolder(root);
  ASSERT_TRUE(scan.ok()) << scan.status();
  EXPECT_TRUE(scan->skipped.empty());
  ASSERT_EQ(scan->users.size(), 2u);

  const ReferenceUser& alice = scan->users[0];
  EXPECT_EQ(alice.name, "alice");
  EXPECT_EQ(alice.public_key, ReadFileOrDie(VectorPath("alice_public.key")));
  ASSERT_TRUE(alice.xzibit.has_value());
  EXPECT_EQ(*alice.xzibit, ReadFileOrDie(VectorPath("alice.xzibit")));
  EXPECT_TRUE(alice.messages.empty());

  const ReferenceUser& bob = scan->users[1];
  EXPECT_EQ(bob.name, "bob");
  EXPECT_FALSE(bob.xzibit.has_value());
  ASSERT_EQ(bob.messages.size(), 1u);
  EXPECT_EQ(bob.messages[0].message.bytes, ReferenceMessageBytes());
  EXPECT_EQ(bob.messages[0].message.header.src_account, "alice");
  EXPECT_EQ(bob.messages[0].id, wire::MessageId(bob.messages[0].message));
  EXPECT_TRUE(wire::IsMessageId(bob.messages[0].id));
}

TEST(ScanReferenceFolderTest, IgnoresAProofOfWorkTrailer) {
  const std::string root = MakeReferenceDataFolder();
  WriteBytes(root + "/mail/bob/1453370400",
             ReferenceMessageBytes() + std::string(64, 'w'));
  absl::StatusOr<ReferenceScan> scan = ScanReferenceFolder(root);
  ASSERT_TRUE(scan.ok());
  ASSERT_EQ(scan->users[1].messages.size(), 1u);
  EXPECT_EQ(scan->users[1].messages[0].message.bytes, ReferenceMessageBytes());
  EXPECT_TRUE(scan->skipped.empty());
}

TEST(ScanReferenceFolderTest, SkipsAndReportsWhatCannotBeImported) {
  const std::string root = MakeReferenceDataFolder();
  WriteBytes(root + "/mail/bob/garbage", "not a message at all");
  WriteBytes(root + "/mail/bob/truncated", ReferenceMessageBytes().substr(0, 60));
  WriteBytes(root + "/mail/bob/extra-bytes", ReferenceMessageBytes() + "12345");
  // A message in alice's folder that is addressed to bob.
  WriteBytes(root + "/mail/alice/misfiled", ReferenceMessageBytes());
  mkdir((root + "/mail/carol").c_str(), 0700);  // no public.key
  mkdir((root + "/mail/dave").c_str(), 0700);
  WriteBytes(root + "/mail/dave/public.key", "short");
  WriteBytes(root + "/mail/stray-file", "x");

  absl::StatusOr<ReferenceScan> scan = ScanReferenceFolder(root);
  ASSERT_TRUE(scan.ok()) << scan.status();
  ASSERT_EQ(scan->users.size(), 2u);
  EXPECT_EQ(scan->users[0].messages.size(), 0u);
  EXPECT_EQ(scan->users[1].messages.size(), 1u);
  std::string report;
  for (const SkippedFile& skipped : scan->skipped) {
    report += skipped.path + ": " + skipped.reason + "\n";
  }
  EXPECT_EQ(scan->skipped.size(), 7u) << report;
  for (const char* name : {"garbage", "truncated", "extra-bytes", "misfiled", "carol",
                           "dave/public.key", "stray-file"}) {
    EXPECT_NE(report.find(name), std::string::npos) << name << "\n" << report;
  }
}

TEST(ScanReferenceFolderTest, FolderWithoutMailIsAnError) {
  EXPECT_EQ(
      ScanReferenceFolder(cmtp::testing::MakeTempDir("cmtp-empty-")).status().code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cmtp::ctl
