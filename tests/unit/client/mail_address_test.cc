#include "lib/client/mail_address.h"

#include <gtest/gtest.h>

#include <string>

namespace cmtp::client {
namespace {

TEST(ParseMailAddressTest, SplitsAtTheAt) {
  absl::StatusOr<MailAddress> address = ParseMailAddress("alice@example.org");
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(address->account, "alice");
  EXPECT_EQ(address->domain, "example.org");
  EXPECT_EQ(address->ToString(), "alice@example.org");
}

TEST(ParseMailAddressTest, AcceptsUtf8) {
  EXPECT_TRUE(ParseMailAddress("j\xc3\xb6rg@example.org").ok());
}

TEST(ParseMailAddressTest, RejectsMalformed) {
  const std::string too_long(256, 'a');
  for (const std::string& bad :
       {std::string("alice"), std::string("@example.org"), std::string("alice@"),
        std::string("a@b@c"), std::string("al ice@example.org"),
        std::string("alice@exa\tmple"), std::string("al\0ice@x", 8),
        too_long + "@example.org"}) {
    EXPECT_EQ(ParseMailAddress(bad).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace cmtp::client
