// Where a CMTP server listens: "HOST:PORT", "[IPv6]:PORT", or a bare host
// (the protocol's default port 9001).
#ifndef CMTP_LIB_CLIENT_ENDPOINT_H_
#define CMTP_LIB_CLIENT_ENDPOINT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cmtp::client {

inline constexpr uint16_t kDefaultCmtpPort = 9001;

struct Endpoint {
  std::string host;  // name or literal, without IPv6 brackets
  uint16_t port = kDefaultCmtpPort;

  // Back to the "HOST:PORT" form, bracketing IPv6 literals.
  std::string ToString() const;
};

// Accepts "example.org", "example.org:9001", "127.0.0.1:9001", "[::1]:9001"
// and "[::1]". Rejects empty hosts, unbalanced brackets, an unbracketed IPv6
// literal with a port, and ports outside 1..65535.
absl::StatusOr<Endpoint> ParseEndpoint(std::string_view text);

}  // namespace cmtp::client

#endif  // CMTP_LIB_CLIENT_ENDPOINT_H_
