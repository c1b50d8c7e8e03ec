// The retry schedule and the flags of cmtp-relay.
#include "services/relay/relay_options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lib/common/config.h"
#include "services/relay/retry_schedule.h"

namespace cmtp::relay {
namespace {

TEST(RetryScheduleTest, DefaultIsOneFiveFifteenThirtyMinutesOneHourThenTwoHours) {
  RetrySchedule schedule;
  const std::vector<int64_t> expected_seconds = {60,   300,  900,  1800,
                                                 3600, 7200, 7200, 7200};
  for (size_t i = 0; i < expected_seconds.size(); ++i) {
    EXPECT_EQ(schedule.DelayMsAfter(static_cast<uint32_t>(i + 1)),
              expected_seconds[i] * 1000)
        << "after failure " << i + 1;
  }
}

TEST(RetryScheduleTest, ParsesAndRepeatsTheLastDelay) {
  absl::StatusOr<RetrySchedule> schedule = RetrySchedule::Parse("1, 2,5");
  ASSERT_TRUE(schedule.ok()) << schedule.status();
  EXPECT_EQ(schedule->DelayMsAfter(1), 1000);
  EXPECT_EQ(schedule->DelayMsAfter(2), 2000);
  EXPECT_EQ(schedule->DelayMsAfter(3), 5000);
  EXPECT_EQ(schedule->DelayMsAfter(40), 5000);
}

TEST(RetryScheduleTest, RefusesEmptyZeroNegativeAndGarbage) {
  for (const char* bad : {"", "0", "-5", "60,,300", "1m", "60;300", "999999999"}) {
    EXPECT_FALSE(RetrySchedule::Parse(bad).ok()) << bad;
  }
}

absl::StatusOr<RelayProcessOptions> Parse(std::vector<std::string> args) {
  Config config("cmtp-relay", "test");
  DeclareRelayFlags(config);
  std::vector<char*> argv = {const_cast<char*>("cmtp-relay")};
  for (std::string& arg : args) argv.push_back(arg.data());
  absl::Status parsed = config.Parse(static_cast<int>(argv.size()), argv.data());
  if (!parsed.ok()) return parsed;
  return RelayProcessOptionsFromConfig(config);
}

TEST(RelayOptionsTest, DefaultsAreTheDocumentedOnes) {
  absl::StatusOr<RelayProcessOptions> options = Parse({});
  ASSERT_TRUE(options.ok()) << options.status();
  const RelayOptions& relay = options->relay;
  EXPECT_EQ(relay.domain, "localhost");
  EXPECT_EQ(relay.workers, 64);
  EXPECT_EQ(relay.max_per_destination, 32);
  EXPECT_EQ(relay.max_queue_lifetime_ms, 5LL * 24 * 3600 * 1000);
  EXPECT_EQ(relay.lease_ms, 60'000);
  EXPECT_EQ(relay.poll_interval_ms, 200);
  EXPECT_EQ(relay.key_cache_ms, 3600'000);
  EXPECT_EQ(relay.negative_key_cache_ms, 60'000);
  EXPECT_EQ(relay.pin_recheck_ms, 1'000);
  EXPECT_EQ(relay.max_batch_enqueues, 256);
  EXPECT_EQ(relay.retry_schedule.DelayMsAfter(1), 60'000);
  EXPECT_TRUE(relay.reference_peers.empty());
  EXPECT_TRUE(options->static_peers.empty());
}

TEST(RelayOptionsTest, ReadsEveryFlag) {
  absl::StatusOr<RelayProcessOptions> options = Parse(
      {"--domain=Alpha.Test", "--workers=3", "--max-per-destination=2",
       "--retry-schedule-seconds=5,10", "--max-queue-lifetime-seconds=30",
       "--lease-seconds=7", "--poll-interval-ms=50",
       "--reference-peers=Old.Example, ref.test", "--peers=beta.test=127.0.0.1:9100",
       "--connect-timeout-ms=300", "--io-timeout-ms=400", "--wait-replicas=1",
       "--key-cache-seconds=9", "--negative-key-cache-seconds=2", "--pin-recheck-ms=0",
       "--max-batch-enqueues=8"});
  ASSERT_TRUE(options.ok()) << options.status();
  const RelayOptions& relay = options->relay;
  EXPECT_EQ(relay.pin_recheck_ms, 0);
  EXPECT_EQ(relay.max_batch_enqueues, 8);
  EXPECT_EQ(relay.domain, "alpha.test");
  EXPECT_EQ(relay.workers, 3);
  EXPECT_EQ(relay.max_per_destination, 2);
  EXPECT_EQ(relay.retry_schedule.DelayMsAfter(1), 5000);
  EXPECT_EQ(relay.retry_schedule.DelayMsAfter(9), 10'000);
  EXPECT_EQ(relay.max_queue_lifetime_ms, 30'000);
  EXPECT_EQ(relay.lease_ms, 7000);
  EXPECT_EQ(relay.poll_interval_ms, 50);
  EXPECT_EQ(relay.reference_peers, (std::set<std::string>{"old.example", "ref.test"}));
  EXPECT_EQ(options->static_peers.at("beta.test"), "127.0.0.1:9100");
  EXPECT_EQ(relay.connect_timeout.count(), 300);
  EXPECT_EQ(relay.io_timeout.count(), 400);
  EXPECT_EQ(relay.wait_replicas, 1);
  EXPECT_EQ(relay.key_cache_ms, 9000);
  EXPECT_EQ(relay.negative_key_cache_ms, 2000);
}

TEST(RelayOptionsTest, ShortFormsOfTheScheduleAndTimeoutWin) {
  absl::StatusOr<RelayProcessOptions> options =
      Parse({"--retry-schedule-seconds=60", "--retry-schedule=1",
             "--delivery-timeout-seconds=2", "--io-timeout-ms=999"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->relay.retry_schedule.DelayMsAfter(1), 1000);
  EXPECT_EQ(options->relay.connect_timeout.count(), 2000);
  EXPECT_EQ(options->relay.io_timeout.count(), 2000);
}

TEST(RelayOptionsTest, RefusesValuesThatCannotWork) {
  for (const char* bad :
       {"--workers=0", "--max-per-destination=-1", "--retry-schedule-seconds=0",
        "--lease-seconds=0", "--peers=nonsense", "--domain=", "--poll-interval-ms=x",
        "--pin-recheck-ms=-1", "--max-batch-enqueues=0", "--max-batch-enqueues=65537"}) {
    EXPECT_FALSE(Parse({bad}).ok()) << bad;
  }
}

}  // namespace
}  // namespace cmtp::relay
