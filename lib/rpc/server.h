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
#include "lib/rpc/tls.h"

namespace cmtp::rpc {

// The health service name that is SERVING for as long as the process runs
// (until shutdown), whatever readiness says: for liveness probes.
inline constexpr char kLivenessService[] = "liveness";

struct ServerOptions {
  std::string service_name;    // for logs, e.g. "keyserver"
  std::string listen_address;  // "127.0.0.1:0" picks a free port
  // Certificates for TLS (and mutual TLS) on that address; default: plaintext.
  TlsServerOptions tls;
  // Non-empty ("host:port", port 0: any free port): a second, plaintext port
  // serving only grpc.health.v1, for probes that cannot do TLS (Kubernetes'
  // gRPC probes). The main port serves health as well.
  std::string health_listen_address;
  std::function<void(int port)> on_health_listening;
  int max_message_bytes = 64 << 20;
  // Called once the server listens, with the bound port.
  std::function<void(int port)> on_listening;
  // Files the bound gRPC and /metrics ports are written to (atomically, as
  // WritePortFile does) once they listen, for tests and `make run`; empty:
  // none. One that cannot be written stops the server with an error: whoever
  // waits for it would wait forever.
  std::string port_file;
  std::string metrics_port_file;
  // Seconds in-flight RPCs get to finish after SIGTERM. gRPC's shutdown also
  // waits, up to this deadline, for every client connection to close after
  // its GOAWAY, and idle clients notice that only when they next poll; so the
  // deadline is kept short: our RPCs take milliseconds, and a rolling update
  // should not wait on idle peers.
  int shutdown_grace_seconds = 2;
  // Checked periodically and on start; health is SERVING only while it
  // returns OkStatus (e.g. Redis answers PING).
  std::function<absl::Status()> readiness_probe;
  // The synchronous server's idle polling threads (gRPC's MIN_POLLERS and
  // MAX_POLLERS; 0: gRPC's own defaults, 1 and 2). With more requests in
  // flight than MAX_POLLERS, gRPC ends a thread after each request and starts
  // another for the next (docs/performance.md, "thread churn"): a service
  // with N concurrent callers should keep about N threads. Idle pollers
  // cost a stack each and wake every 10 s.
  int sync_min_pollers = 1;
  int sync_max_pollers = 32;

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
// The same over TLS when `tls` is enabled (lib/rpc/tls.h).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           const TlsChannelOptions& tls,
                                           int max_message_bytes = 64 << 20);

// Writes `port` to `path` atomically (temp file + rename) when path is not
// empty; used by `--port-file`.
absl::Status WritePortFile(const std::string& path, int port);

}  // namespace cmtp::rpc

#endif  // CMTP_LIB_RPC_SERVER_H_
