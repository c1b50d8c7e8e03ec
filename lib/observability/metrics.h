// The Prometheus metrics of one process: a registry every part of the
// process adds its families to, and, when asked, an HTTP endpoint serving it
// at /metrics in Prometheus' text format.
//
// Families are made through Counter, Gauge and Histogram, which enforce the
// suite's conventions (metric_naming.h: `cmtp_` names, `_total` counters,
// base units, no user, account or address as a label) by throwing
// std::invalid_argument, as prometheus-cpp itself does for a malformed name:
// a mistake there is a programming error found by the first test.
//
// Every gRPC server made with rpc::RunServer records
// cmtp_grpc_server_requests_total and cmtp_grpc_server_request_duration_seconds
// here (grpc_server_interceptor.h).
#ifndef CMTP_LIB_OBSERVABILITY_METRICS_H_
#define CMTP_LIB_OBSERVABILITY_METRICS_H_

#include <prometheus/registry.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/observability/labeled_family.h"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace cmtp::observability {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Starts serving GET /metrics over HTTP on `listen_address`: `host:port`
  // with an IPv4 address or a host name (0.0.0.0: every interface), port 0
  // for any free port (for tests). Returns the port bound. InvalidArgument for a
  // malformed address, Unavailable when it cannot be bound, Internal when already
  // serving.
  absl::StatusOr<int> Serve(const std::string& listen_address);
  // The address check Serve starts with, for flags: InvalidArgument unless
  // `host:port` with a port in 0..65535. IPv6 addresses are refused: Debian's
  // civetweb, the HTTP server underneath, is built without IPv6.
  static absl::Status CheckListenAddress(const std::string& listen_address);
  // Stops the HTTP endpoint (no-op when not serving); the metrics stay.
  void StopServing();
  // The port /metrics is served on; 0 when not serving.
  int port() const;

  // Families; the same name again returns the same family (the label names
  // must then be the same too).
  CounterFamily Counter(const std::string& name, const std::string& help,
                        std::vector<std::string> label_names = {});
  GaugeFamily Gauge(const std::string& name, const std::string& help,
                    std::vector<std::string> label_names = {});
  HistogramFamily Histogram(const std::string& name, const std::string& help,
                            std::vector<std::string> label_names,
                            prometheus::Histogram::BucketBoundaries buckets);

  // Bucket bounds for durations in seconds, from 0.5 ms to 10 s.
  static prometheus::Histogram::BucketBoundaries LatencyBuckets();
  // Bucket bounds for sizes in bytes, from 256 bytes to 64 MiB, by 4.
  static prometheus::Histogram::BucketBoundaries SizeBuckets();

  // Everything registered, in the text format /metrics serves.
  std::string Render() const;

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  mutable std::mutex exposer_mutex_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace cmtp::observability

#endif  // CMTP_LIB_OBSERVABILITY_METRICS_H_
