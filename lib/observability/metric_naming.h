// The suite's conventions for metric names and labels, checked when a family
// is made (Metrics::Counter and friends), so that a metric breaking them
// fails the first test that creates it rather than reaching a dashboard:
//
//   - names are `cmtp_` + lowercase snake case;
//   - counters end in `_total`, nothing else does;
//   - values are in base units: seconds and bytes, never milliseconds or
//     kilobytes (no `_ms`, `_milliseconds`, `_kb`, ... suffix);
//   - label names come from a short list (service, method, command, code,
//     result, outcome, reason, kind): never a user, account, mailbox, peer or address,
//     which would put personal data into the metrics and give every user
//     their own time series.
#ifndef CMTP_LIB_OBSERVABILITY_METRIC_NAMING_H_
#define CMTP_LIB_OBSERVABILITY_METRIC_NAMING_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace cmtp::observability {

enum class MetricKind { kCounter, kGauge, kHistogram };

// InvalidArgument naming the rule `name` breaks for a metric of `kind`.
absl::Status CheckMetricName(MetricKind kind, std::string_view name);

// InvalidArgument naming the first label that is not allowed, or a repeat.
absl::Status CheckLabelNames(const std::vector<std::string>& label_names);

// The label names CheckLabelNames accepts.
const std::vector<std::string>& AllowedLabelNames();

}  // namespace cmtp::observability

#endif  // CMTP_LIB_OBSERVABILITY_METRIC_NAMING_H_
