// The gateway's admin gRPC port: the standard health service
// (grpc.health.v1), for Kubernetes' gRPC probes and load balancers.
//
//   - service "" (readiness): SERVING while every backend (keyserver,
//     mailstore, relay when configured) answers its own health check with
//     SERVING, and never again once Drain() was called (after SIGTERM);
//   - service "liveness": SERVING while the gateway's event loop turns,
//     i.e. Beat() was called within `liveness_timeout`.
//
// A thread of its own probes the backends every `probe_interval`; status
// changes are logged. The port serves nothing else.
#ifndef CMTP_SERVICES_GATEWAY_ADMIN_SERVER_H_
#define CMTP_SERVICES_GATEWAY_ADMIN_SERVER_H_

#include <grpcpp/channel.h>
#include <grpcpp/server.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/observability/logger.h"

namespace cmtp::gateway {

inline constexpr char kLivenessService[] = "liveness";

struct AdminBackend {
  std::string name;  // for log lines: "keyserver", "mailstore", "relay"
  std::shared_ptr<grpc::Channel> channel;
};

struct AdminOptions {
  std::string listen_address;  // "host:port"; port 0: any free port
  std::chrono::milliseconds probe_interval = std::chrono::seconds(1);
  std::chrono::milliseconds probe_timeout = std::chrono::seconds(1);
  // No Beat() for this long: liveness NOT_SERVING.
  std::chrono::milliseconds liveness_timeout = std::chrono::seconds(10);
};

class AdminServer {
 public:
  // Unavailable when the address cannot be bound. `logger` must outlive the
  // server. Readiness is NOT_SERVING until the first probe succeeds.
  static absl::StatusOr<std::unique_ptr<AdminServer>> Start(
      AdminOptions options, std::vector<AdminBackend> backends,
      const observability::Logger& logger);
  ~AdminServer();  // Stop()
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  int port() const { return port_; }
  // Thread-safe. The event loop is alive now.
  void Beat();
  // Thread-safe. Readiness NOT_SERVING from now on.
  void Drain();
  // Stops probing and serving; idempotent.
  void Stop();

 private:
  AdminServer(AdminOptions options, std::vector<AdminBackend> backends,
              const observability::Logger& logger);
  void ProbeLoop();
  // Whether every backend serves; logs which one does not when that changes.
  bool BackendsServing();

  const AdminOptions options_;
  const std::vector<AdminBackend> backends_;
  const observability::Logger& logger_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  std::atomic<int64_t> last_beat_ns_{0};  // steady_clock, since its epoch
  std::string failing_;  // the probe thread's: what failed last time, "" if none

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // under mutex_
  bool draining_ = false;  // under mutex_, as is setting the readiness status
  std::thread prober_;
};

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_ADMIN_SERVER_H_
