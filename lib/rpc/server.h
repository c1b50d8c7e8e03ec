// Bootstrap shared by every gRPC service: health, reflection, message size
// limits, the port actually bound, and a clean shutdown on SIGTERM/SIGINT;
// Prometheus metrics, request ids and JSON log lines for every RPC
// (lib/observability).
#ifndef CMTP_LIB_RPC_SERVER_H_
#define CMTP_LIB_RPC_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lib/observability/logger.h"
#include "lib/observability/metrics.h"

namespace cmtp::rpc {

struct ServerOptions {
  std::string service_name;    // for logs, e.g. "keyserver"
  std::string listen_address;  // "127.0.0.1:0" picks a free port
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

  // Serve the Prometheus metrics at http://ADDRESS/metrics ("host:port"; port
  // 0: any free port); empty: not served (they are still counted). Every RPC
  // is counted in cmtp_grpc_server_requests_total{service,method,code} and
  // timed in cmtp_grpc_server_request_duration_seconds{service,method}.
  std::string metrics_listen_address;
  // Called with the bound metrics port once /metrics is served.
  std::function<void(int port)> on_metrics_listening;
  // The registry served, for the service's own metrics as well; null:
  // RunServer keeps one of its own. /metrics stops when RunServer returns.
  std::shared_ptr<observability::Metrics> metrics;
  // Where start, stop and one line per RPC go; null: JSON lines on stderr
  // with `service_name` as the service.
  std::shared_ptr<observability::Logger> logger;
};

// Blocks until SIGTERM or SIGINT, then shuts down gracefully. Returns an
// error when the server cannot start (e.g. the port is taken, for gRPC or for
// the metrics).
absl::Status RunServer(const ServerOptions& options,
                       const std::vector<grpc::Service*>& services);

// Channel to another service with the suite's message size limits. A call
// made on a thread with a current request id (a synchronous handler's)
// carries that id to the callee (observability/grpc_client_interceptor.h).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           int max_message_bytes = 64 << 20);

// Writes `port` to `path` atomically (temp file + rename) when path is not
// empty; used by `--port-file`.
absl::Status WritePortFile(const std::string& path, int port);

}  // namespace cmtp::rpc

#endif  // CMTP_LIB_RPC_SERVER_H_
