#include "tools/cmtp/attachment_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "tests/support/ports.h"

namespace cmtp::cli {
namespace {

TEST(AttachmentNameTest, AcceptsPlainNames) {
  for (const char* name : {"report.pdf", "notes", "r\xc3\xa9sum\xc3\xa9.txt", "a b.c"}) {
    EXPECT_TRUE(ValidateAttachmentName(name).ok()) << name;
  }
}

TEST(AttachmentNameTest, RejectsPathsAndHiddenOrControlNames) {
  for (const char* name : {"", ".", "..", "../x", "a/b", "/etc/passwd", ".bashrc", "a\\b",
                           "bell\x07", "tab\tname"}) {
    EXPECT_FALSE(ValidateAttachmentName(name).ok()) << name;
  }
  EXPECT_FALSE(ValidateAttachmentName(std::string(256, 'a')).ok());
}

TEST(SaveAttachmentsTest, SavesSafeNamesAndRenamesTheRest) {
  const std::string dir = cmtp::testing::MakeTempDir("cmtp-att-") + "/out";
  absl::StatusOr<std::vector<SavedAttachment>> saved = SaveAttachments(
      dir, {{"notes.txt", "hello"}, {"../../escape", "x"}, {"notes.txt", "again"}});
  ASSERT_TRUE(saved.ok()) << saved.status();
  ASSERT_EQ(saved->size(), 3u);
  EXPECT_EQ((*saved)[0].path, dir + "/notes.txt");
  EXPECT_FALSE((*saved)[0].renamed);
  EXPECT_EQ((*saved)[1].path, dir + "/attachment-2");
  EXPECT_TRUE((*saved)[1].renamed);
  EXPECT_EQ((*saved)[2].path, dir + "/attachment-3");
  EXPECT_EQ(cmtp::testing::ReadFileOrDie(dir + "/notes.txt"), "hello");
  EXPECT_EQ(cmtp::testing::ReadFileOrDie(dir + "/attachment-3"), "again");
  EXPECT_NE(access((dir + "/../../escape").c_str(), F_OK), 0);
}

TEST(SaveAttachmentsTest, DoesNotWriteThroughASymlink) {
  const std::string base = cmtp::testing::MakeTempDir("cmtp-att-");
  const std::string dir = base + "/out";
  ASSERT_TRUE(SaveAttachments(dir, {{"first", "1"}}).ok());
  const std::string target = base + "/target";
  std::ofstream(target) << "original";
  ASSERT_EQ(symlink(target.c_str(), (dir + "/evil").c_str()), 0);
  EXPECT_FALSE(SaveAttachments(dir, {{"evil", "overwritten"}}).ok());
  EXPECT_EQ(cmtp::testing::ReadFileOrDie(target), "original");
}

TEST(SaveAttachmentsTest, NothingToSaveCreatesNoFolder) {
  const std::string dir = cmtp::testing::MakeTempDir("cmtp-att-") + "/none";
  ASSERT_TRUE(SaveAttachments(dir, {}).ok());
  EXPECT_NE(access(dir.c_str(), F_OK), 0);
}

TEST(LoadAttachmentTest, UsesTheBaseName) {
  const std::string dir = cmtp::testing::MakeTempDir("cmtp-att-");
  std::ofstream(dir + "/plan.txt") << "step 1";
  absl::StatusOr<crypto::Attachment> attachment = LoadAttachment(dir + "/plan.txt");
  ASSERT_TRUE(attachment.ok());
  EXPECT_EQ(attachment->filename, "plan.txt");
  EXPECT_EQ(attachment->data, "step 1");
  EXPECT_EQ(LoadAttachment(dir + "/missing").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cmtp::cli
