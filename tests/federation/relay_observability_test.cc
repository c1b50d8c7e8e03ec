// What an operator sees of the relay: its Prometheus metrics on the metrics
// port move with each attempt (by outcome and reason, never by user or
// domain), and each delivery attempt is one JSON log line carrying the
// request id the gateway logged the mail under, so one message can be
// followed from the sender's gateway to the peer.
#include <chrono>
#include <sstream>
#include <string>

#include "lib/crypto/sodium.h"
#include "tests/federation/direct_mail.h"
#include "tests/federation/federation_test.h"
#include "tests/federation/mail_checks.h"
#include "tests/support/metrics_scrape.h"

namespace cmtp::federation {
namespace {

using ::cmtp::testing::Sample;
using ::cmtp::testing::ScrapeMetrics;
using std::chrono::seconds;

// The first line of `log` containing every one of `parts`; "" if none.
std::string LineWith(const std::string& log, std::initializer_list<std::string> parts) {
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    bool all = true;
    for (const std::string& part : parts)
      all = all && line.find(part) != std::string::npos;
    if (all) return line;
  }
  return "";
}

// The value of the JSON string field `key` in one log line; "" if absent.
std::string JsonField(const std::string& line, const std::string& key) {
  const std::string start = "\"" + key + "\":\"";
  const size_t at = line.find(start);
  if (at == std::string::npos) return "";
  const size_t from = at + start.size();
  const size_t end = line.find('"', from);
  return end == std::string::npos ? "" : line.substr(from, end - from);
}

class RelayObservabilityTest : public FederationTest {
 protected:
  std::string AlphaRelayMetrics() { return ScrapeMetrics(alpha_->relay_metrics_port()); }
  double AlphaSample(const std::string& series) {
    return Sample(AlphaRelayMetrics(), series);
  }
  // Waits until `series` on alpha's relay is at least `value`.
  bool WaitForSample(const std::string& series, double value) {
    return cmtp::testing::WaitFor([&] { return AlphaSample(series) >= value; },
                                  seconds(20));
  }
};

TEST_F(RelayObservabilityTest, MetricsAndLogLinesFollowEachDeliveryAttempt) {
  UseStaticPeers();
  ASSERT_TRUE(StartBothAndRegister());
  // Served before anything happened, at zero.
  EXPECT_EQ(AlphaSample("cmtp_relay_deliveries_total"), 0) << AlphaRelayMetrics();

  // alice asks for bob's key twice: once from beta, once from the cache.
  ExpectSameKeyThroughBothServers(*alice_, *bob_, kBob);
  cmtp::testing::CommandResult key = alice_->Cmtp({"key", kBob});
  ASSERT_TRUE(Exited(key, 0));
  EXPECT_GE(AlphaSample("cmtp_relay_key_fetches_total"), 1);
  EXPECT_GE(AlphaSample("cmtp_relay_key_cache_hits_total"), 1);
  absl::StatusOr<std::string> bob_key = crypto::FromHex(key.out.substr(0, 64));
  ASSERT_TRUE(bob_key.ok()) << key.out;

  const std::string first = alice_->Send(kBob, "counted", "the first one\n", {});
  ASSERT_FALSE(first.empty());
  ASSERT_TRUE(bob_->WaitForMessage(first, kDeliveryPatience));
  ASSERT_TRUE(WaitForSample("cmtp_relay_deliveries_total", 1)) << AlphaRelayMetrics();
  std::string metrics = AlphaRelayMetrics();
  EXPECT_EQ(Sample(metrics, "cmtp_relay_delivery_attempts_total{outcome=\"delivered\"}"),
            1)
      << metrics;
  EXPECT_EQ(Sample(metrics, "cmtp_relay_delivery_latency_seconds_count"), 1);
  EXPECT_EQ(Sample(metrics, "cmtp_relay_pin_refusals_total"), 0);
  EXPECT_EQ(Sample(metrics, "cmtp_relay_bounces_total"), 0);
  // The gRPC server's own metrics share the port.
  EXPECT_NE(metrics.find("cmtp_grpc_server_requests_total"), std::string::npos);
  // Nobody's address or domain is a label.
  EXPECT_EQ(metrics.find("bob"), std::string::npos);
  EXPECT_EQ(metrics.find("beta.test"), std::string::npos);

  // beta is down: the attempt fails, is counted with its reason, and retried.
  beta_->StopGateway();
  absl::StatusOr<std::string> second =
      SendDirect({alpha_->gateway_address(), kAlice, alice_->password(), kBob, *bob_key,
                  "retried", "the second one\n"});
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_TRUE(
      WaitForSample("cmtp_relay_delivery_failures_total{reason=\"unreachable\"}", 1))
      << AlphaRelayMetrics();
  ASSERT_TRUE(WaitForSample("cmtp_relay_delivery_retries_total", 1));
  EXPECT_GE(
      AlphaSample("cmtp_relay_delivery_attempts_total{outcome=\"temporary_failure\"}"),
      1);
  ASSERT_TRUE(WaitForSample("cmtp_relay_queue_depth", 1));

  ASSERT_TRUE(beta_->StartGateway());
  ASSERT_TRUE(bob_->WaitForMessage(*second, kDeliveryPatience));
  ASSERT_TRUE(WaitForSample("cmtp_relay_deliveries_total", 2)) << AlphaRelayMetrics();
  EXPECT_TRUE(cmtp::testing::WaitFor(
      [&] { return AlphaSample("cmtp_relay_queue_depth") == 0; }, seconds(5)));

  // One JSON line per attempt, under the request id the gateway logged.
  const std::string gateway_log = ReadFile(alpha_->state_dir() + "/gateway.log");
  const std::string relay_log = ReadFile(alpha_->state_dir() + "/relay.log");
  for (const std::string& id : {first, *second}) {
    const std::string accepted =
        LineWith(gateway_log, {"\"msg\":\"mail\"", "\"message_id\":\"" + id + "\""});
    const std::string request_id = JsonField(accepted, "request_id");
    ASSERT_FALSE(request_id.empty()) << "no gateway line for " << id;
    const std::string delivered = LineWith(
        relay_log, {"\"msg\":\"delivery attempt\"", "\"message_id\":\"" + id + "\"",
                    "\"outcome\":\"delivered\""});
    ASSERT_FALSE(delivered.empty()) << "no delivery line for " << id;
    EXPECT_EQ(JsonField(delivered, "request_id"), request_id) << delivered;
  }
  const std::string failed = LineWith(
      relay_log, {"\"msg\":\"delivery attempt\"", "\"message_id\":\"" + *second + "\"",
                  "\"outcome\":\"temporary_failure\"", "\"reason\":\"unreachable\""});
  EXPECT_FALSE(failed.empty()) << relay_log;
}

}  // namespace
}  // namespace cmtp::federation
