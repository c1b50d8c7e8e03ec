// The relay's counters in Redis: added to from several instances (as from
// several replicas), and the cumulative latency histogram.
#include "services/relay/relay_stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "tests/support/redis_server.h"

namespace cmtp::relay {
namespace {

TEST(RelayStatsTest, ReplicasAddUpAndTheHistogramIsCumulative) {
  cmtp::testing::RedisServer redis_server;
  ASSERT_TRUE(redis_server.Start());
  redis::PoolOptions options;
  options.address = redis_server.address();
  absl::StatusOr<std::unique_ptr<redis::ConnectionPool>> pool =
      redis::ConnectionPool::Create(options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  RelayStats one(**pool);
  RelayStats other(**pool);

  absl::StatusOr<StatsSnapshot> empty = one.Read();
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->deliveries, 0u);
  EXPECT_EQ(empty->latency_cumulative.back(), 0u);

  one.Add(Counter::kDeliveryAttempts);
  other.Add(Counter::kDeliveryAttempts, 2);
  one.Add(Counter::kDeliveryFailures);
  other.Add(Counter::kBounces);
  one.Add(Counter::kPinRefusals);
  other.Add(Counter::kKeyFetches, 4);
  one.RecordDelivery(20);         // 0.02 s: bucket 0.05
  other.RecordDelivery(3000);     // 3 s: bucket 5
  one.RecordDelivery(7'200'000);  // 2 h: only +Inf

  absl::StatusOr<StatsSnapshot> stats = other.Read();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->delivery_attempts, 3u);
  EXPECT_EQ(stats->deliveries, 3u);
  EXPECT_EQ(stats->delivery_failures, 1u);
  EXPECT_EQ(stats->bounces, 1u);
  EXPECT_EQ(stats->pin_refusals, 1u);
  EXPECT_EQ(stats->key_fetches, 4u);
  const std::array<uint64_t, 10> expected = {0, 1, 1, 1, 1, 2, 2, 2, 2, 3};
  EXPECT_EQ(stats->latency_cumulative, expected);
  EXPECT_TRUE(std::isinf(kLatencyBucketSeconds.back()));
  EXPECT_DOUBLE_EQ(stats->latency_sum_seconds, 7'203.02);
}

}  // namespace
}  // namespace cmtp::relay
