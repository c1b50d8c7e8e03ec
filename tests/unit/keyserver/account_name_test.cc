#include "services/keyserver/account_name.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "services/keyserver/keyserver_options.h"
#include "services/keyserver/login_rate_limiter.h"

namespace cmtp::keyserver {
namespace {

using ::testing::HasSubstr;

TEST(AccountNameTest, AcceptsLowerCaseDigitsAndPunctuation) {
  EXPECT_TRUE(ValidateAccountName("alice").ok());
  EXPECT_TRUE(ValidateAccountName("a.b_c-1").ok());
  EXPECT_TRUE(ValidateAccountName("0").ok());
  EXPECT_TRUE(ValidateAccountName(std::string(64, 'x')).ok());
}

TEST(AccountNameTest, RefusesUpperCaseWithItsOwnReason) {
  absl::Status status = ValidateAccountName("Alice");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("lower-case"));
}

TEST(AccountNameTest, RefusesEmptyTooLongAndOtherBytes) {
  EXPECT_THAT(std::string(ValidateAccountName("").message()), HasSubstr("empty"));
  EXPECT_THAT(std::string(ValidateAccountName(std::string(65, 'x')).message()),
              HasSubstr("64"));
  for (const std::string& bad :
       std::vector<std::string>{"a b", "a/b", "a@b", "a:b", "caf\xc3\xa9",
                                std::string("a\0b", 3), "{alice}"}) {
    absl::Status status = ValidateAccountName(bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(status.message()), HasSubstr("a-z, 0-9")) << bad;
  }
}

TEST(AccountNameTest, DomainsCompareWithoutCase) {
  EXPECT_TRUE(SameDomain("Example.ORG", "example.org"));
  EXPECT_FALSE(SameDomain("example.org", "example.com"));
  EXPECT_TRUE(CheckServedDomain("EXAMPLE.org", "example.org").ok());
  absl::Status status = CheckServedDomain("other.org", "example.org");
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(status.message(), "this server serves example.org");
}

TEST(RegistrationPolicyTest, ParsesTheFlagValues) {
  EXPECT_EQ(*ParseRegistrationPolicy("open"), RegistrationPolicy::kOpen);
  EXPECT_EQ(*ParseRegistrationPolicy("invite"), RegistrationPolicy::kInvite);
  EXPECT_EQ(*ParseRegistrationPolicy("admin"), RegistrationPolicy::kAdminOnly);
  EXPECT_EQ(ParseRegistrationPolicy("closed").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RegistrationPolicyName(RegistrationPolicy::kAdminOnly), "admin");
}

TEST(PeerHostTest, DropsPortsAndAddressFamilyDecorations) {
  EXPECT_EQ(PeerHost("1.2.3.4:5678"), "1.2.3.4");
  EXPECT_EQ(PeerHost("1.2.3.4"), "1.2.3.4");
  EXPECT_EQ(PeerHost("[::1]:5678"), "::1");
  EXPECT_EQ(PeerHost("::1"), "::1");
  EXPECT_EQ(PeerHost("2001:db8::7"), "2001:db8::7");
  EXPECT_EQ(PeerHost("ipv4:10.0.0.1:99"), "10.0.0.1");
  EXPECT_EQ(PeerHost("ipv6:[2001:db8::7]:99"), "2001:db8::7");
  EXPECT_EQ(PeerHost("[::ffff:10.0.0.1]:99"), "10.0.0.1");
  EXPECT_EQ(PeerHost("::ffff:10.0.0.1"), "10.0.0.1");
  EXPECT_EQ(PeerHost(""), "");
}

}  // namespace
}  // namespace cmtp::keyserver
