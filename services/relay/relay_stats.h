// The relay's counters, in the Redis hash `cmtp:relay:stats` so that every
// replica adds to the same figures (HINCRBY), and the delivery latency
// histogram (queued -> accepted by the peer) with the buckets of the Stats
// RPC. Counting is best effort: a Redis hiccup while counting is logged, it
// never fails the delivery it counts.
#ifndef CMTP_SERVICES_RELAY_RELAY_STATS_H_
#define CMTP_SERVICES_RELAY_RELAY_STATS_H_

#include <array>
#include <cstdint>
#include <limits>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/redis/client.h"

namespace cmtp::relay {

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

  void Add(Counter counter, int64_t amount = 1) const;
  // A delivery and its latency, counted together.
  void RecordDelivery(int64_t latency_ms) const;
  absl::StatusOr<StatsSnapshot> Read() const;

 private:
  redis::Client& redis_;
};

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_RELAY_STATS_H_
