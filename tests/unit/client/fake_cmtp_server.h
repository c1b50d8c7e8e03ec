// A tiny in-test CMTP server for the client's tests: it parses requests with
// the real wire::RequestParser and answers with whatever bytes the test's
// handler returns, so a test can send well-formed, forged or broken replies.
#ifndef CMTP_TESTS_UNIT_CLIENT_FAKE_CMTP_SERVER_H_
#define CMTP_TESTS_UNIT_CLIENT_FAKE_CMTP_SERVER_H_

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "lib/client/endpoint.h"
#include "lib/wire/command.h"
#include "lib/wire/limits.h"

namespace cmtp::testing {

class FakeCmtpServer {
 public:
  // Returns the reply bytes for a command, or nullopt to close the connection.
  using Handler = std::function<std::optional<std::string>(const wire::Command&)>;

  // Listens on `host` (127.0.0.1 or ::1), any port. `banner` is sent on
  // accept (empty: send nothing, for a server that never greets).
  // Returns the bytes to send before closing when a request does not parse.
  using ErrorHandler = std::function<std::string(const absl::Status&)>;

  FakeCmtpServer(Handler handler, std::string banner, std::string host = "127.0.0.1");
  ~FakeCmtpServer();
  FakeCmtpServer(const FakeCmtpServer&) = delete;
  FakeCmtpServer& operator=(const FakeCmtpServer&) = delete;

  // Parse requests with these limits and answer parse errors (set before
  // the first connection).
  void RefuseMalformed(const wire::Limits& limits, ErrorHandler on_error) {
    limits_ = limits;
    on_error_ = std::move(on_error);
  }

  bool listening() const { return listen_fd_ >= 0; }
  client::Endpoint endpoint() const { return {host_, port_}; }
  // Every command received so far, in order (for the test's assertions).
  int commands_seen() const { return commands_seen_.load(); }

 private:
  void Serve();
  void ServeConnection(int fd);

  Handler handler_;
  ErrorHandler on_error_;
  wire::Limits limits_;
  std::string banner_;
  std::string host_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<int> commands_seen_{0};
  std::thread thread_;
};

}  // namespace cmtp::testing

#endif  // CMTP_TESTS_UNIT_CLIENT_FAKE_CMTP_SERVER_H_
