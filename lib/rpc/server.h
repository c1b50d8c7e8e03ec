// Bootstrap shared by every gRPC service: health, reflection, message size
// limits, the port actually bound, and a clean shutdown on SIGTERM/SIGINT.
#ifndef CMTP_LIB_RPC_SERVER_H_
#define CMTP_LIB_RPC_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace cmtp::rpc {

struct ServerOptions {
  std::string service_name;   // for logs, e.g. "keyserver"
  std::string listen_address; // "127.0.0.1:0" picks a free port
  int max_message_bytes = 64 << 20;
  // Called once the server listens, with the bound port (for tests and
  // `make run`, which write it into the state folder).
  std::function<void(int port)> on_listening;
  // Seconds in-flight RPCs get to finish after SIGTERM. gRPC's shutdown also
  // waits, up to this deadline, for every client connection to close after
  // its GOAWAY, and idle clients notice that only when they next poll; so the
  // deadline is kept short: our RPCs take milliseconds, and a rolling update
  // should not wait on idle peers.
  int shutdown_grace_seconds = 2;
  // Checked periodically and on start; health is SERVING only while it
  // returns OkStatus (e.g. Redis answers PING).
  std::function<absl::Status()> readiness_probe;
};

// Blocks until SIGTERM or SIGINT, then shuts down gracefully. Returns an
// error when the server cannot start (e.g. the port is taken).
absl::Status RunServer(const ServerOptions& options,
                       const std::vector<grpc::Service*>& services);

// Channel to another service with the suite's message size limits.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           int max_message_bytes = 64 << 20);

// Writes `port` to `path` atomically (temp file + rename) when path is not
// empty; used by `--port-file`.
absl::Status WritePortFile(const std::string& path, int port);

}  // namespace cmtp::rpc

#endif  // CMTP_LIB_RPC_SERVER_H_
