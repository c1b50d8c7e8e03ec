#include "lib/observability/metric_naming.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"

namespace cmtp::observability {
namespace {

constexpr std::string_view kPrefix = "cmtp_";
constexpr std::string_view kCounterSuffix = "_total";

// Suffixes of units that are not base units, with the base unit to use.
struct NonBaseUnit {
  std::string_view suffix;
  std::string_view use_instead;
};
constexpr NonBaseUnit kNonBaseUnits[] = {
    {"_ms", "_seconds"},
    {"_millis", "_seconds"},
    {"_milliseconds", "_seconds"},
    {"_us", "_seconds"},
    {"_microseconds", "_seconds"},
    {"_ns", "_seconds"},
    {"_nanoseconds", "_seconds"},
    {"_minutes", "_seconds"},
    {"_hours", "_seconds"},
    {"_days", "_seconds"},
    {"_kb", "_bytes"},
    {"_kilobytes", "_bytes"},
    {"_kib", "_bytes"},
    {"_mb", "_bytes"},
    {"_megabytes", "_bytes"},
    {"_mib", "_bytes"},
    {"_bits", "_bytes"},
};

bool IsSnakeCase(std::string_view name) {
  if (name.empty() || !(name.front() >= 'a' && name.front() <= 'z')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// The name without a trailing `_total`, for the unit check of counters.
std::string_view WithoutCounterSuffix(std::string_view name) {
  if (absl::EndsWith(ToAbsl(name), ToAbsl(kCounterSuffix))) {
    name.remove_suffix(kCounterSuffix.size());
  }
  return name;
}

}  // namespace

absl::Status CheckMetricName(MetricKind kind, std::string_view name) {
  if (!absl::StartsWith(ToAbsl(name), ToAbsl(kPrefix)) || !IsSnakeCase(name)) {
    return error::InvalidInput(absl::StrCat(
        "metric \"", ToAbsl(name), "\": names are cmtp_ + lowercase snake case"));
  }
  const bool ends_in_total = absl::EndsWith(ToAbsl(name), ToAbsl(kCounterSuffix));
  if (kind == MetricKind::kCounter && !ends_in_total) {
    return error::InvalidInput(
        absl::StrCat("counter \"", ToAbsl(name), "\": counter names end in _total"));
  }
  if (kind != MetricKind::kCounter && ends_in_total) {
    return error::InvalidInput(absl::StrCat(
        "metric \"", ToAbsl(name), "\": only counters have names ending in _total"));
  }
  const std::string_view unit_part = WithoutCounterSuffix(name);
  for (const NonBaseUnit& unit : kNonBaseUnits) {
    if (absl::EndsWith(ToAbsl(unit_part), ToAbsl(unit.suffix))) {
      return error::InvalidInput(absl::StrCat("metric \"", ToAbsl(name),
                                              "\": use base units (",
                                              ToAbsl(unit.use_instead), ")"));
    }
  }
  return absl::OkStatus();
}

const std::vector<std::string>& AllowedLabelNames() {
  static const std::vector<std::string> names = {"service", "method",  "command", "code",
                                                 "result",  "outcome", "reason",  "kind"};
  return names;
}

absl::Status CheckLabelNames(const std::vector<std::string>& label_names) {
  const std::vector<std::string>& allowed = AllowedLabelNames();
  std::set<std::string> seen;
  for (const std::string& label : label_names) {
    if (std::find(allowed.begin(), allowed.end(), label) == allowed.end()) {
      return error::InvalidInput(absl::StrCat(
          "label \"", label, "\" is not allowed; labels are one of ",
          absl::StrJoin(allowed, ", "), " (never a user, account or address)"));
    }
    if (!seen.insert(label).second) {
      return error::InvalidInput(absl::StrCat("label \"", label, "\" given twice"));
    }
  }
  return absl::OkStatus();
}

}  // namespace cmtp::observability
