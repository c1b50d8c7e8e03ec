// The gateway's flags (docs/services.md) and the options they make.
#ifndef CMTP_SERVICES_GATEWAY_GATEWAY_OPTIONS_H_
#define CMTP_SERVICES_GATEWAY_GATEWAY_OPTIONS_H_

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "lib/common/config.h"
#include "lib/observability/observability_flags.h"
#include "services/gateway/batching_options.h"
#include "services/gateway/key_block_cache.h"
#include "services/gateway/listener.h"

namespace cmtp::gateway {

struct GatewayOptions {
  ListenerOptions listener;
  std::string port_file;
  std::string domain;
  std::string keyserver;  // gRPC target
  std::string mailstore;  // gRPC target
  std::string relay;      // gRPC target; empty: no relay, local delivery only
  std::string server_key_file;
  int threads = 1;
  // Each keyserver / mailstore call fails after this long.
  std::chrono::milliseconds rpc_deadline = std::chrono::seconds(10);
  // How Puts to the mailstore and Enqueues to the relay are grouped.
  BatchingOptions put_batching;
  BatchingOptions enqueue_batching;
  // After SIGTERM, how long sessions may take to finish their command.
  std::chrono::milliseconds shutdown_grace = std::chrono::seconds(5);
  // Signed key blocks of local accounts kept in memory (key_block_cache.h).
  KeyBlockCacheOptions key_cache;
  // The gRPC health service (admin_server.h), "host:port"; empty: not served.
  std::string admin_listen;
  std::string admin_port_file;
  // /metrics (--metrics-listen) and the log format and level.
  observability::ObservabilitySettings observability;
  std::string metrics_port_file;

  // The largest gRPC message either side may need: a whole MAIL and slack
  // for its envelope and the proto framing.
  int GrpcMessageLimit() const;
};

void DeclareGatewayFlags(Config& config);
// InvalidInput naming the flag when a value is malformed or out of range.
absl::StatusOr<GatewayOptions> GatewayOptionsFromConfig(const Config& config);

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_GATEWAY_OPTIONS_H_
