#include "lib/observability/metric_naming.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cmtp::observability {
namespace {

using ::testing::HasSubstr;

std::string NameProblem(MetricKind kind, const std::string& name) {
  return std::string(CheckMetricName(kind, name).message());
}

TEST(MetricNamingTest, AcceptsConventionalNames) {
  EXPECT_TRUE(CheckMetricName(MetricKind::kCounter, "cmtp_relay_deliveries_total").ok());
  EXPECT_TRUE(CheckMetricName(MetricKind::kCounter, "cmtp_sent_bytes_total").ok());
  EXPECT_TRUE(CheckMetricName(MetricKind::kGauge, "cmtp_gateway_open_connections").ok());
  EXPECT_TRUE(CheckMetricName(MetricKind::kHistogram, "cmtp_put_duration_seconds").ok());
  EXPECT_TRUE(CheckMetricName(MetricKind::kHistogram, "cmtp_message_size_bytes").ok());
}

TEST(MetricNamingTest, CountersAndOnlyCountersEndInTotal) {
  EXPECT_THAT(NameProblem(MetricKind::kCounter, "cmtp_deliveries"), HasSubstr("_total"));
  EXPECT_THAT(NameProblem(MetricKind::kGauge, "cmtp_queue_depth_total"),
              HasSubstr("only counters"));
  EXPECT_THAT(NameProblem(MetricKind::kHistogram, "cmtp_latency_total"),
              HasSubstr("only counters"));
}

TEST(MetricNamingTest, NamesArePrefixedSnakeCase) {
  EXPECT_FALSE(CheckMetricName(MetricKind::kGauge, "queue_depth").ok());
  EXPECT_FALSE(CheckMetricName(MetricKind::kGauge, "cmtp_QueueDepth").ok());
  EXPECT_FALSE(CheckMetricName(MetricKind::kGauge, "cmtp_queue-depth").ok());
  EXPECT_FALSE(CheckMetricName(MetricKind::kGauge, "").ok());
}

TEST(MetricNamingTest, ValuesAreInBaseUnits) {
  EXPECT_THAT(NameProblem(MetricKind::kHistogram, "cmtp_put_duration_ms"),
              HasSubstr("_seconds"));
  EXPECT_THAT(NameProblem(MetricKind::kHistogram, "cmtp_put_latency_milliseconds"),
              HasSubstr("_seconds"));
  EXPECT_THAT(NameProblem(MetricKind::kCounter, "cmtp_stored_kilobytes_total"),
              HasSubstr("_bytes"));
  EXPECT_THAT(NameProblem(MetricKind::kGauge, "cmtp_uptime_minutes"),
              HasSubstr("_seconds"));
}

TEST(MetricNamingTest, LabelsNeverNameAPerson) {
  EXPECT_TRUE(CheckLabelNames({"service", "method", "code"}).ok());
  EXPECT_TRUE(CheckLabelNames({"command", "result"}).ok());
  EXPECT_TRUE(CheckLabelNames({}).ok());
  for (const char* personal :
       {"user", "account", "address", "mailbox", "peer", "email"}) {
    absl::Status status = CheckLabelNames({"command", personal});
    EXPECT_FALSE(status.ok()) << personal;
    EXPECT_THAT(std::string(status.message()), HasSubstr(personal));
  }
  EXPECT_THAT(std::string(CheckLabelNames({"code", "code"}).message()),
              HasSubstr("twice"));
}

}  // namespace
}  // namespace cmtp::observability
