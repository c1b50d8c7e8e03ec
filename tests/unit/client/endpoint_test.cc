#include "lib/client/endpoint.h"

#include <gtest/gtest.h>

namespace cmtp::client {
namespace {

TEST(ParseEndpointTest, HostAndPort) {
  absl::StatusOr<Endpoint> endpoint = ParseEndpoint("mail.example.org:9100");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  EXPECT_EQ(endpoint->host, "mail.example.org");
  EXPECT_EQ(endpoint->port, 9100);
  EXPECT_EQ(endpoint->ToString(), "mail.example.org:9100");
}

TEST(ParseEndpointTest, BareHostTakesTheDefaultPort) {
  absl::StatusOr<Endpoint> endpoint = ParseEndpoint("127.0.0.1");
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->host, "127.0.0.1");
  EXPECT_EQ(endpoint->port, kDefaultCmtpPort);
}

TEST(ParseEndpointTest, BracketedIpv6WithPort) {
  absl::StatusOr<Endpoint> endpoint = ParseEndpoint("[::1]:9001");
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->host, "::1");
  EXPECT_EQ(endpoint->port, 9001);
  EXPECT_EQ(endpoint->ToString(), "[::1]:9001");
}

TEST(ParseEndpointTest, Ipv6WithoutPort) {
  absl::StatusOr<Endpoint> bracketed = ParseEndpoint("[fe80::1]");
  ASSERT_TRUE(bracketed.ok());
  EXPECT_EQ(bracketed->host, "fe80::1");
  EXPECT_EQ(bracketed->port, kDefaultCmtpPort);
  absl::StatusOr<Endpoint> bare = ParseEndpoint("::1");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->host, "::1");
}

TEST(ParseEndpointTest, RejectsMalformedAddresses) {
  for (const char* bad : {"", ":9001", "host:", "host:0", "host:65536", "host:90x1",
                          "[::1", "[::1]9001", "[]:9001", "ho st:1"}) {
    EXPECT_EQ(ParseEndpoint(bad).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace cmtp::client
