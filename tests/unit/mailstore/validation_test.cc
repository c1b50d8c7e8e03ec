#include "services/mailstore/validation.h"

#include <gtest/gtest.h>

#include <string>

namespace cmtp::mailstore {
namespace {

using namespace std::string_literals;

TEST(MailstoreValidation, Mailbox) {
  EXPECT_TRUE(ValidateMailbox("alice").ok());
  EXPECT_TRUE(ValidateMailbox(std::string(255, 'a')).ok());
  EXPECT_TRUE(ValidateMailbox("user.name-1_x@").ok());
  for (const std::string& bad :
       {""s, std::string(256, 'a'), "a{b"s, "a}b"s, "a:b"s, "a\0b"s}) {
    EXPECT_EQ(ValidateMailbox(bad).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(MailstoreValidation, MessageId) {
  EXPECT_TRUE(ValidateMessageId("0123456789abcdef0123456789abcdef").ok());
  for (const std::string& bad :
       {""s, "0123456789ABCDEF0123456789abcdef"s, "0123456789abcdef0123456789abcde"s,
        "0123456789abcdef0123456789abcdef0"s, "0123456789abcdef0123456789abcdeg"s}) {
    EXPECT_EQ(ValidateMessageId(bad).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(MailstoreValidation, SenderField) {
  EXPECT_TRUE(ValidateSenderField("source account", "").ok());
  EXPECT_TRUE(ValidateSenderField("source account", std::string(255, 'x')).ok());
  EXPECT_EQ(ValidateSenderField("source account", std::string(256, 'x')).code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status nul = ValidateSenderField("source domain", "a\0b"s);
  EXPECT_EQ(nul.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(nul.message().find("source domain"), absl::string_view::npos);
}

TEST(MailstoreValidation, BlobSizeLimitNamesBothSizes) {
  EXPECT_TRUE(ValidateBlob("x", 1).ok());
  EXPECT_EQ(ValidateBlob("", 10).code(), absl::StatusCode::kInvalidArgument);
  absl::Status big = ValidateBlob("0123456789a", 10);
  EXPECT_EQ(big.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(big.message(), "message blob is 11 bytes, more than the limit of 10");
}

}  // namespace
}  // namespace cmtp::mailstore
