// The relay's counters, in the Redis hash `cmtp:relay:stats` so that every
// replica adds to the same figures (HINCRBY), and the delivery latency
// histogram (queued -> accepted by the peer) with the buckets of the Stats
// RPC. Each count also goes to this process's Prometheus metrics when a
// RelayMetrics is given (relay_metrics.h). Counting is best effort: a Redis hiccup while
// counting is logged, it never fails the delivery it counts.
#ifndef CMTP_SERVICES_RELAY_RELAY_STATS_H_
#define CMTP_SERVICES_RELAY_RELAY_STATS_H_

#include <array>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/redis/client.h"
#include "services/relay/outbound_queue.h"

namespace cmtp::relay {

class RelayMetrics;

enum class Counter {
  kDeliveryAttempts,
  kDeliveries,
  kDeliveryFailures,  // attempts that failed and will be retried
  kBounces,           // given up; the sender got (or could not get) a notice
  kPinRefusals,
  kKeyFetches,  // foreign keys asked of their server (not the cache)
};

// Upper bounds in seconds; the last is +Inf.
inline constexpr std::array<double, 10> kLatencyBucketSeconds = {
    0.01, 0.05, 0.1, 0.5, 1, 5, 30, 300, 3600, std::numeric_limits<double>::infinity()};

struct StatsSnapshot {
  uint64_t delivery_attempts = 0;
  uint64_t deliveries = 0;
  uint64_t delivery_failures = 0;
  uint64_t bounces = 0;
  uint64_t pin_refusals = 0;
  uint64_t key_fetches = 0;
  // Cumulative, Prometheus-style: [i] counts deliveries at most bucket i.
  std::array<uint64_t, kLatencyBucketSeconds.size()> latency_cumulative{};
  double latency_sum_seconds = 0;
};

class RelayStats {
 public:
  explicit RelayStats(redis::Client& redis) : redis_(redis) {}
  // `metrics` (may be null) must outlive this.
  RelayStats(redis::Client& redis, RelayMetrics* metrics)
      : redis_(redis), metrics_(metrics) {}

  void Add(Counter counter, int64_t amount = 1) const;
  // Several counters, one each, in one round trip.
  void Add(std::initializer_list<Counter> counters) const;
  // A delivery and its latency, counted together.
  void RecordDelivery(int64_t latency_ms) const;
  // The same in two halves, for a delivery counted in Redis by the step that
  // removes it from the queue (OutboundQueue::RemoveAndCount): the
  // increments of the hash (the attempt included), and this process's
  // metrics once that step counted it.
  std::vector<CounterIncrement> DeliveryIncrements(int64_t latency_ms) const;
  void DeliveryCounted(int64_t latency_ms) const;
  absl::StatusOr<StatsSnapshot> Read() const;

  // This process's Prometheus metrics; null when not kept.
  RelayMetrics* metrics() const { return metrics_; }

 private:
  redis::Client& redis_;
  RelayMetrics* const metrics_ = nullptr;
};

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_RELAY_STATS_H_
