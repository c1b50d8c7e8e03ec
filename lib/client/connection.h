// A blocking TCP connection to a CMTP/1 server: connects (names via
// getaddrinfo, IPv4 and IPv6, with a timeout), reads the banner, and then
// exchanges one command for exactly one reply at a time, as the protocol asks
// of clients. Every wait is bounded by a timeout so a silent server cannot
// hang the caller; network trouble comes back as Unavailable.
#ifndef CMTP_LIB_CLIENT_CONNECTION_H_
#define CMTP_LIB_CLIENT_CONNECTION_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/client/endpoint.h"
#include "lib/wire/limits.h"
#include "lib/wire/reply.h"

namespace cmtp::client {

struct ConnectionOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  // Longest silence tolerated while sending or waiting for a reply byte.
  std::chrono::milliseconds io_timeout{30'000};
  wire::Limits limits;
};

class Connection {
 public:
  // Connects to the first address of `endpoint` that accepts within the
  // timeout and reads the banner.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const Endpoint& endpoint, const ConnectionOptions& options = {});

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The server's greeting, without its trailing NUL.
  const std::string& banner() const { return banner_; }
  const Endpoint& endpoint() const { return endpoint_; }

  // Sends `request` whole, then reads and parses one reply of `kind`.
  absl::StatusOr<wire::Reply> Exchange(std::string_view request, wire::ReplyKind kind);

  absl::Status Send(std::string_view bytes);
  absl::StatusOr<wire::Reply> Receive(wire::ReplyKind kind);

 private:
  Connection(int fd, Endpoint endpoint, const ConnectionOptions& options);

  // The greeting; Unavailable with the server's reason when it refuses the
  // connection instead (connection cap).
  absl::StatusOr<std::string> ReceiveBanner();
  // Appends what the socket has (waiting up to the I/O timeout) to pending_.
  absl::Status ReadMore(std::string_view waiting_for);

  int fd_;
  Endpoint endpoint_;
  ConnectionOptions options_;
  std::string banner_;
  // Bytes read but not yet consumed by a reply parser.
  std::string pending_;
};

}  // namespace cmtp::client

#endif  // CMTP_LIB_CLIENT_CONNECTION_H_
