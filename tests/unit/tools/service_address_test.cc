#include "tools/cmtpctl/service_address.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/ports.h"

namespace cmtp::ctl {
namespace {

TEST(ServiceAddressTest, ExplicitAddressWins) {
  EXPECT_EQ(
      *ResolveServiceAddress("10.0.0.1:7001", "/nowhere", "keyserver.port", "keyserver"),
      "10.0.0.1:7001");
}

TEST(ServiceAddressTest, ReadsThePortFileOfTheStateFolder) {
  const std::string dir = cmtp::testing::MakeTempDir("cmtpctl-state-");
  std::ofstream(dir + "/mailstore.port") << "40123\n";
  EXPECT_EQ(*ResolveServiceAddress("", dir, "mailstore.port", "mailstore"),
            "127.0.0.1:40123");
}

TEST(ServiceAddressTest, MissingOrBrokenSourcesAreUsageErrors) {
  const std::string dir = cmtp::testing::MakeTempDir("cmtpctl-state-");
  absl::StatusOr<std::string> none =
      ResolveServiceAddress("", "", "keyserver.port", "keyserver");
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(none.status().message().find("--keyserver"), std::string::npos);
  EXPECT_EQ(ResolveServiceAddress("", dir, "keyserver.port", "keyserver").status().code(),
            absl::StatusCode::kInvalidArgument);
  std::ofstream(dir + "/keyserver.port") << "not a port";
  EXPECT_EQ(ResolveServiceAddress("", dir, "keyserver.port", "keyserver").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cmtp::ctl
