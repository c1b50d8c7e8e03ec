#include "lib/observability/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/text_serializer.h>

#include <exception>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/observability/metric_naming.h"

namespace cmtp::observability {
namespace {

// Throws like prometheus-cpp does for a malformed name.
void RequireConventions(MetricKind kind, const std::string& name,
                        const std::vector<std::string>& label_names) {
  absl::Status status = CheckMetricName(kind, name);
  if (status.ok()) status = CheckLabelNames(label_names);
  if (!status.ok()) throw std::invalid_argument(std::string(status.message()));
}

}  // namespace

absl::Status Metrics::CheckListenAddress(const std::string& address) {
  const auto malformed = [&](std::string_view why) {
    return error::InvalidInput(
        absl::StrCat("metrics listen address \"", address, "\": ", ToAbsl(why)));
  };
  // Debian's civetweb, which serves /metrics, is built without IPv6.
  if (!address.empty() && address.front() == '[') {
    return malformed("IPv6 is not supported; use an IPv4 address or 0.0.0.0:PORT");
  }
  const size_t colon = address.find(':');
  if (colon == std::string::npos || colon == 0 ||
      address.find(':', colon + 1) != std::string::npos) {
    return malformed("expected host:port");
  }
  const std::string port_text = address.substr(colon + 1);
  int port = -1;
  if (port_text.empty() ||
      port_text.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return malformed("the port must be a number from 0 to 65535");
  }
  return absl::OkStatus();
}

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {}

Metrics::~Metrics() { StopServing(); }

absl::StatusOr<int> Metrics::Serve(const std::string& listen_address) {
  if (absl::Status valid = CheckListenAddress(listen_address); !valid.ok()) return valid;
  std::lock_guard<std::mutex> lock(exposer_mutex_);
  if (exposer_ != nullptr) {
    return error::Internal(absl::StrCat("metrics already served on port ", port_));
  }
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(listen_address, /*num_threads=*/2);
  } catch (const std::exception& e) {
    return error::Unavailable(
        absl::StrCat("cannot serve metrics on ", listen_address, ": ", e.what()));
  }
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty() || ports.front() <= 0) {
    return error::Unavailable(
        absl::StrCat("cannot serve metrics on ", listen_address, ": no port bound"));
  }
  exposer->RegisterCollectable(registry_, "/metrics");
  exposer_ = std::move(exposer);
  port_ = ports.front();
  return port_;
}

void Metrics::StopServing() {
  std::unique_ptr<prometheus::Exposer> stopping;
  {
    std::lock_guard<std::mutex> lock(exposer_mutex_);
    stopping = std::move(exposer_);
    port_ = 0;
  }
  // Destroyed outside the lock: it joins the HTTP threads.
}

int Metrics::port() const {
  std::lock_guard<std::mutex> lock(exposer_mutex_);
  return port_;
}

CounterFamily Metrics::Counter(const std::string& name, const std::string& help,
                               std::vector<std::string> label_names) {
  RequireConventions(MetricKind::kCounter, name, label_names);
  auto& family = prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
  return CounterFamily(family, std::move(label_names));
}

GaugeFamily Metrics::Gauge(const std::string& name, const std::string& help,
                           std::vector<std::string> label_names) {
  RequireConventions(MetricKind::kGauge, name, label_names);
  auto& family = prometheus::BuildGauge().Name(name).Help(help).Register(*registry_);
  return GaugeFamily(family, std::move(label_names));
}

HistogramFamily Metrics::Histogram(const std::string& name, const std::string& help,
                                   std::vector<std::string> label_names,
                                   prometheus::Histogram::BucketBoundaries buckets) {
  RequireConventions(MetricKind::kHistogram, name, label_names);
  auto& family = prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_);
  return HistogramFamily(family, std::move(label_names), std::move(buckets));
}

prometheus::Histogram::BucketBoundaries Metrics::LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

prometheus::Histogram::BucketBoundaries Metrics::SizeBuckets() {
  prometheus::Histogram::BucketBoundaries bounds;
  for (double bytes = 256; bytes <= 64.0 * 1024 * 1024; bytes *= 4)
    bounds.push_back(bytes);
  return bounds;
}

std::string Metrics::Render() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace cmtp::observability
