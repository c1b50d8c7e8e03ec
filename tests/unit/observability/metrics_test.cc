#include "lib/observability/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "tests/unit/observability/metrics_scrape.h"

namespace cmtp::observability {
namespace {

using ::cmtp::testing::HttpGet;
using ::cmtp::testing::HttpResponse;
using ::cmtp::testing::MetricSample;
using ::cmtp::testing::ParseSamples;
using ::cmtp::testing::SampleValue;
using ::testing::HasSubstr;

TEST(MetricsTest, ServesTheRegistryOverHttp) {
  Metrics metrics;
  CounterFamily events = metrics.Counter("cmtp_test_events_total", "events", {"result"});
  events.With({"ok"}).Increment();
  events.With({"ok"}).Increment();
  events.With({"refused"}).Increment();
  HistogramFamily sizes =
      metrics.Histogram("cmtp_test_size_bytes", "sizes", {"kind"}, {100, 1000});
  sizes.With({"blob"}).Observe(50);
  sizes.With({"blob"}).Observe(500);
  metrics.Gauge("cmtp_test_queue_depth", "depth").With({}).Set(7);

  absl::StatusOr<int> port = metrics.Serve("127.0.0.1:0");
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_GT(*port, 0);
  EXPECT_EQ(metrics.port(), *port);

  std::optional<HttpResponse> response = HttpGet(*port, "/metrics");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_THAT(response->headers, HasSubstr("text/plain"));
  EXPECT_THAT(response->body, HasSubstr("# TYPE cmtp_test_events_total counter"));
  std::optional<std::vector<MetricSample>> samples = ParseSamples(response->body);
  ASSERT_TRUE(samples.has_value()) << response->body;
  EXPECT_EQ(SampleValue(*samples, "cmtp_test_events_total", {{"result", "ok"}}), 2);
  EXPECT_EQ(SampleValue(*samples, "cmtp_test_events_total", {{"result", "refused"}}), 1);
  EXPECT_EQ(SampleValue(*samples, "cmtp_test_size_bytes_bucket",
                        {{"kind", "blob"}, {"le", "100"}}),
            1);
  EXPECT_EQ(SampleValue(*samples, "cmtp_test_size_bytes_bucket",
                        {{"kind", "blob"}, {"le", "+Inf"}}),
            2);
  EXPECT_EQ(SampleValue(*samples, "cmtp_test_size_bytes_sum", {{"kind", "blob"}}), 550);
  EXPECT_EQ(SampleValue(*samples, "cmtp_test_queue_depth", {}), 7);
  EXPECT_EQ(HttpGet(*port, "/elsewhere")->status, 404);
}

TEST(MetricsTest, RenderIsWhatIsServed) {
  Metrics metrics;
  metrics.Counter("cmtp_test_renders_total", "renders").With({}).Increment(3);
  std::optional<std::vector<MetricSample>> samples = ParseSamples(metrics.Render());
  ASSERT_TRUE(samples.has_value());
  EXPECT_EQ(SampleValue(*samples, "cmtp_test_renders_total", {}), 3);
}

TEST(MetricsTest, TheSameNameIsTheSameFamily) {
  Metrics metrics;
  metrics.Counter("cmtp_test_calls_total", "calls", {"method"}).With({"A"}).Increment();
  metrics.Counter("cmtp_test_calls_total", "calls", {"method"}).With({"A"}).Increment();
  std::optional<std::vector<MetricSample>> samples = ParseSamples(metrics.Render());
  ASSERT_TRUE(samples.has_value());
  EXPECT_EQ(SampleValue(*samples, "cmtp_test_calls_total", {{"method", "A"}}), 2);
}

TEST(MetricsTest, RefusesFamiliesBreakingTheConventions) {
  Metrics metrics;
  EXPECT_THROW(metrics.Counter("cmtp_test_events", "no _total"), std::invalid_argument);
  EXPECT_THROW(metrics.Gauge("cmtp_test_depth", "depth", {"account"}),
               std::invalid_argument);
  EXPECT_THROW(metrics.Histogram("cmtp_test_latency_ms", "ms", {}, {1}),
               std::invalid_argument);
  CounterFamily events = metrics.Counter("cmtp_test_events_total", "events", {"code"});
  EXPECT_THROW(events.With({"OK", "extra"}), std::invalid_argument);
}

TEST(MetricsTest, ServingTwiceOrOnATakenPortFails) {
  Metrics first;
  absl::StatusOr<int> port = first.Serve("127.0.0.1:0");
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_EQ(first.Serve("127.0.0.1:0").status().code(), absl::StatusCode::kInternal);

  Metrics second;
  absl::StatusOr<int> taken = second.Serve("127.0.0.1:" + std::to_string(*port));
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kUnavailable) << taken.status();
  EXPECT_EQ(second.port(), 0);
}

TEST(MetricsTest, StopServingClosesThePort) {
  Metrics metrics;
  absl::StatusOr<int> port = metrics.Serve("127.0.0.1:0");
  ASSERT_TRUE(port.ok()) << port.status();
  ASSERT_TRUE(HttpGet(*port, "/metrics").has_value());
  metrics.StopServing();
  EXPECT_EQ(metrics.port(), 0);
  EXPECT_FALSE(HttpGet(*port, "/metrics").has_value());
  // And it can serve again.
  EXPECT_TRUE(metrics.Serve("127.0.0.1:0").ok());
}

TEST(MetricsTest, ChecksListenAddresses) {
  for (const char* good :
       {"0.0.0.0:9090", "127.0.0.1:0", "localhost:9090", "metrics:65535"}) {
    EXPECT_TRUE(Metrics::CheckListenAddress(good).ok()) << good;
  }
  for (const char* bad : {"", "9090", ":9090", "host:", "host:70000", "host:12a",
                          "host:-1", "host:+1", "::1:9090", "[::1]:9090", "[::]:0"}) {
    EXPECT_EQ(Metrics::CheckListenAddress(bad).code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_THAT(std::string(Metrics::CheckListenAddress("[::]:9090").message()),
              HasSubstr("IPv6"));
  Metrics metrics;
  EXPECT_EQ(metrics.Serve("nonsense").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MetricsTest, ServesOnAHostName) {
  Metrics metrics;
  absl::StatusOr<int> port = metrics.Serve("localhost:0");
  ASSERT_TRUE(port.ok()) << port.status();
  std::optional<HttpResponse> response = HttpGet(*port, "/metrics");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
}

}  // namespace
}  // namespace cmtp::observability
