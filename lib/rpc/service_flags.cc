#include "lib/rpc/service_flags.h"

#include <utility>

#include "lib/observability/observability_flags.h"
#include "lib/rpc/tls.h"

namespace cmtp::rpc {

void AddServiceFlags(Config& config) {
  config.Add("listen", "CMTP_LISTEN", "127.0.0.1:0",
             "gRPC listen address (port 0: any free port)");
  config.Add("port-file", "CMTP_PORT_FILE", "", "write the bound gRPC port to this file");
  config.Add("metrics-port-file", "CMTP_METRICS_PORT_FILE", "",
             "write the bound /metrics port to this file");
  config.Add("health-listen", "CMTP_HEALTH_LISTEN", "",
             "plaintext gRPC health-only address for probes that cannot do TLS");
  AddTlsServerFlags(config);
  observability::AddObservabilityFlags(config);
}

absl::StatusOr<ServerOptions> ServerOptionsFromConfig(const Config& config,
                                                      const std::string& service_name) {
  absl::StatusOr<TlsServerOptions> tls = TlsServerOptionsFromConfig(config);
  if (!tls.ok()) return tls.status();
  absl::StatusOr<observability::ObservabilitySettings> observability =
      observability::ObservabilityFromConfig(config, service_name);
  if (!observability.ok()) return observability.status();
  ServerOptions options;
  options.service_name = service_name;
  options.listen_address = config.Get("listen");
  options.port_file = config.Get("port-file");
  options.metrics_port_file = config.Get("metrics-port-file");
  options.health_listen_address = config.Get("health-listen");
  options.tls = *std::move(tls);
  options.metrics_listen_address = observability->metrics_listen_address;
  options.logger = observability->logger;
  return options;
}

}  // namespace cmtp::rpc
