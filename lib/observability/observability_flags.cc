#include "lib/observability/observability_flags.h"

#include <utility>

#include "lib/observability/metrics.h"

namespace cmtp::observability {

void AddObservabilityFlags(Config& config) {
  config.Add("metrics-listen", "CMTP_METRICS_LISTEN", "",
             "serve Prometheus metrics at http://HOST:PORT/metrics (empty: off)");
  config.Add("log-format", "CMTP_LOG_FORMAT", "json",
             "log lines on stderr: json (one object per line) or text");
  config.Add("log-level", "CMTP_LOG_LEVEL", "info",
             "least severe log level written: debug, info, warning or error");
}

absl::StatusOr<ObservabilitySettings> ObservabilityFromConfig(const Config& config,
                                                              std::string service) {
  absl::StatusOr<LogFormat> format = ParseLogFormat(config.Get("log-format"));
  if (!format.ok()) return format.status();
  absl::StatusOr<LogLevel> level = ParseLogLevel(config.Get("log-level"));
  if (!level.ok()) return level.status();
  ObservabilitySettings settings;
  settings.metrics_listen_address = config.Get("metrics-listen");
  if (!settings.metrics_listen_address.empty()) {
    absl::Status address = Metrics::CheckListenAddress(settings.metrics_listen_address);
    if (!address.ok()) return address;
  }
  settings.logger = std::make_shared<Logger>(std::move(service), *format, *level);
  return settings;
}

}  // namespace cmtp::observability
