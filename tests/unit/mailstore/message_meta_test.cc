#include "services/mailstore/message_meta.h"

#include <gtest/gtest.h>

#include <string>

namespace cmtp::mailstore {
namespace {

using namespace std::string_literals;

TEST(MailstoreMessageMeta, PackedFormIsSequenceThenTheRest) {
  std::string tail = PackMetaAfterSequence(1234, 1700000000123, "bob", "example.org");
  EXPECT_EQ(tail,
            "1234\0"s
            "1700000000123\0"s
            "bob\0"s
            "example.org");
  auto meta = UnpackMeta("00112233445566778899aabbccddeeff", "7\0"s + tail);
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->message_id, "00112233445566778899aabbccddeeff");
  EXPECT_EQ(meta->sequence, 7u);
  EXPECT_EQ(meta->size, 1234u);
  EXPECT_EQ(meta->arrival_unix_ms, 1700000000123);
  EXPECT_EQ(meta->src_account, "bob");
  EXPECT_EQ(meta->src_domain, "example.org");
}

TEST(MailstoreMessageMeta, EmptySenderFieldsRoundTrip) {
  auto meta = UnpackMeta("id", "1\0"s + PackMetaAfterSequence(5, 6, "", ""));
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->src_account, "");
  EXPECT_EQ(meta->src_domain, "");
  EXPECT_EQ(meta->size, 5u);
}

TEST(MailstoreMessageMeta, CorruptFormsAreInternal) {
  for (const std::string& packed : {""s, "1"s,
                                    "1\0"s
                                    "2\0"s
                                    "3\0"s
                                    "a"s,
                                    "1\0"s
                                    "2\0"s
                                    "3\0"s
                                    "a\0"s
                                    "b\0"s
                                    "c"s,
                                    "x\0"s
                                    "2\0"s
                                    "3\0"s
                                    "a\0"s
                                    "b"s,
                                    "1\0"s
                                    "-2\0"s
                                    "3\0"s
                                    "a\0"s
                                    "b"s,
                                    "1\0"s
                                    "2\0"s
                                    "3z\0"s
                                    "a\0"s
                                    "b"s,
                                    "1\0"s
                                    "\0"s
                                    "3\0"s
                                    "a\0"s
                                    "b"s}) {
    auto meta = UnpackMeta("id", packed);
    EXPECT_EQ(meta.status().code(), absl::StatusCode::kInternal) << packed.size();
  }
}

}  // namespace
}  // namespace cmtp::mailstore
