// The metrics and log flags every service takes, declared and read in one
// place (like lib/redis/pool_config.h):
//
//   cmtp::observability::AddObservabilityFlags(config);
//   config.ParseOrExit(argc, argv);
//   absl::StatusOr<ObservabilitySettings> observability =
//       cmtp::observability::ObservabilityFromConfig(config, "mailstore");  // exit 2
//   server_options.metrics_listen_address = observability->metrics_listen_address;
//   server_options.logger = observability->logger;
#ifndef CMTP_LIB_OBSERVABILITY_OBSERVABILITY_FLAGS_H_
#define CMTP_LIB_OBSERVABILITY_OBSERVABILITY_FLAGS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "lib/common/config.h"
#include "lib/observability/logger.h"

namespace cmtp::observability {

// Declares --metrics-listen (CMTP_METRICS_LISTEN, default empty: no /metrics),
// --log-format (CMTP_LOG_FORMAT, json or text, default json) and --log-level
// (CMTP_LOG_LEVEL, debug, info, warning or error, default info).
void AddObservabilityFlags(Config& config);

struct ObservabilitySettings {
  // host:port for /metrics; empty: not served.
  std::string metrics_listen_address;
  std::shared_ptr<Logger> logger;
};

// Reads those flags; `service` names the service in every log line.
// InvalidArgument for an unknown format or level or a malformed metrics
// address.
absl::StatusOr<ObservabilitySettings> ObservabilityFromConfig(const Config& config,
                                                              std::string service);

}  // namespace cmtp::observability

#endif  // CMTP_LIB_OBSERVABILITY_OBSERVABILITY_FLAGS_H_
