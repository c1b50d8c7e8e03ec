// cmtpctl relay-stats: the relay's figures in Prometheus' text exposition
// format, so the output can be scraped or compared as it is.
#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "tools/cmtpctl/operator_commands.h"

namespace cmtp::ctl {
namespace {

void Counter(std::ostream& out, const char* name, const char* help, uint64_t value) {
  out << "# HELP " << name << " " << help << "\n"
      << "# TYPE " << name << " counter\n"
      << name << " " << value << "\n";
}

// A bucket bound as Prometheus spells it.
std::string Bound(double seconds) {
  if (std::isinf(seconds)) return "+Inf";
  std::ostringstream text;
  text << seconds;
  return text.str();
}

}  // namespace

absl::Status ShowRelayStats(OperatorContext& context) {
  absl::StatusOr<v1::Relay::StubInterface*> relay = context.Relay();
  if (!relay.ok()) return relay.status();
  v1::RelayStatsResponse stats;
  const grpc::Status status =
      (*relay)->Stats(context.NewCall().get(), v1::RelayStatsRequest(), &stats);
  if (!status.ok()) return RpcFailure("Stats", status);
  std::ostream& out = context.terminal().out;
  out << "# HELP cmtp_relay_queue_depth Messages waiting for delivery.\n"
      << "# TYPE cmtp_relay_queue_depth gauge\n"
      << "cmtp_relay_queue_depth " << stats.queue_depth() << "\n";
  Counter(out, "cmtp_relay_delivery_attempts_total", "Delivery attempts.",
          stats.delivery_attempts_total());
  Counter(out, "cmtp_relay_deliveries_total", "Messages accepted by their peer.",
          stats.deliveries_total());
  Counter(out, "cmtp_relay_delivery_failures_total", "Attempts that failed (retried).",
          stats.delivery_failures_total());
  Counter(out, "cmtp_relay_bounces_total", "Messages given up (failure notice sent).",
          stats.bounces_total());
  Counter(out, "cmtp_relay_pin_refusals_total",
          "Peers refused for presenting a key other than their pin.",
          stats.pin_refusals_total());
  Counter(out, "cmtp_relay_key_fetches_total", "Foreign keys fetched for users.",
          stats.key_fetches_total());

  constexpr char kLatency[] = "cmtp_relay_delivery_latency_seconds";
  out << "# HELP " << kLatency << " From queued to accepted by the peer.\n"
      << "# TYPE " << kLatency << " histogram\n";
  const int buckets = std::min(stats.latency_bucket_upper_seconds_size(),
                               stats.latency_bucket_counts_size());
  uint64_t count = 0;
  for (int i = 0; i < buckets; ++i) {
    out << kLatency << "_bucket{le=\"" << Bound(stats.latency_bucket_upper_seconds(i))
        << "\"} " << stats.latency_bucket_counts(i) << "\n";
    count = stats.latency_bucket_counts(i);
  }
  // Cumulative buckets: the last one counts everything when its bound is
  // +Inf; otherwise the deliveries are the total.
  if (buckets == 0 || !std::isinf(stats.latency_bucket_upper_seconds(buckets - 1))) {
    count = std::max(count, stats.deliveries_total());
    out << kLatency << "_bucket{le=\"+Inf\"} " << count << "\n";
  }
  out << kLatency << "_sum " << stats.latency_sum_seconds() << "\n"
      << kLatency << "_count " << count << "\n";
  return absl::OkStatus();
}

}  // namespace cmtp::ctl
