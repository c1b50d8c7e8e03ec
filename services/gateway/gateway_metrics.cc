#include "services/gateway/gateway_metrics.h"

#include <string>

namespace cmtp::gateway {
namespace {

constexpr std::array<CommandOutcome, 4> kAllOutcomes = {
    CommandOutcome::kSuccess, CommandOutcome::kFailure, CommandOutcome::kClose,
    CommandOutcome::kError};
constexpr char kInvalidCommand[] = "INVALID";

}  // namespace

std::string_view CommandOutcomeName(CommandOutcome outcome) {
  switch (outcome) {
    case CommandOutcome::kSuccess:
      return "success";
    case CommandOutcome::kFailure:
      return "failure";
    case CommandOutcome::kClose:
      return "close";
    case CommandOutcome::kError:
      return "error";
  }
  return "error";
}

GatewayMetrics::GatewayMetrics(observability::Metrics& metrics) {
  observability::CounterFamily requests = metrics.Counter(
      "cmtp_gateway_requests_total",
      "CMTP commands answered, by command word and outcome", {"command", "outcome"});
  observability::HistogramFamily durations =
      metrics.Histogram("cmtp_gateway_request_duration_seconds",
                        "time from a whole CMTP command read to its reply written",
                        {"command"}, observability::Metrics::LatencyBuckets());
  observability::CounterFamily rate_limited = metrics.Counter(
      "cmtp_gateway_rate_limited_total",
      "LOGIN, LOGINPROOF and AUTH refused by the keyserver's rate limits", {"command"});
  for (size_t row = 0; row < kRows; ++row) {
    const std::string word =
        row == kInvalidRow
            ? std::string(kInvalidCommand)
            : std::string(wire::CommandWord(static_cast<wire::CommandKind>(row)));
    // Only the combinations that can happen get a series: "error" is the
    // unparsable request's only outcome, and nothing else's.
    for (CommandOutcome outcome : kAllOutcomes) {
      if ((row == kInvalidRow) != (outcome == CommandOutcome::kError)) continue;
      requests_[row][static_cast<size_t>(outcome)] =
          &requests.With({word, std::string(CommandOutcomeName(outcome))});
    }
    if (row == kInvalidRow) continue;
    durations_[row] = &durations.With({word});
  }
  for (wire::CommandKind kind :
       {wire::CommandKind::kLogin, wire::CommandKind::kLoginProof,
        wire::CommandKind::kAuth}) {
    rate_limited_[static_cast<size_t>(kind)] =
        &rate_limited.With({std::string(wire::CommandWord(kind))});
  }
  received_bytes_ = &metrics
                         .Counter("cmtp_gateway_received_bytes_total",
                                  "bytes read from CMTP connections")
                         .With({});
  sent_bytes_ =
      &metrics
           .Counter("cmtp_gateway_sent_bytes_total", "bytes written to CMTP connections")
           .With({});
  message_size_ =
      &metrics
           .Histogram("cmtp_gateway_message_size_bytes", "MAIL message bytes as received",
                      {}, observability::Metrics::SizeBuckets())
           .With({});
  open_connections_ =
      &metrics.Gauge("cmtp_gateway_open_connections", "CMTP connections open now")
           .With({});
  accepted_ = &metrics
                   .Counter("cmtp_gateway_connections_accepted_total",
                            "CMTP connections accepted and served")
                   .With({});
  refused_ = &metrics
                  .Counter("cmtp_gateway_connections_refused_total",
                           "CMTP connections refused with \"server busy\" "
                           "(over --max-connections)")
                  .With({});
}

void GatewayMetrics::CountCommand(wire::CommandKind kind, CommandOutcome outcome,
                                  std::chrono::steady_clock::duration took) const {
  const size_t row = static_cast<size_t>(kind);
  if (row >= kKinds) return;
  prometheus::Counter* requests = requests_[row][static_cast<size_t>(outcome)];
  if (requests != nullptr) requests->Increment();
  durations_[row]->Observe(std::chrono::duration<double>(took).count());
}

void GatewayMetrics::CountInvalidRequest() const {
  requests_[kInvalidRow][static_cast<size_t>(CommandOutcome::kError)]->Increment();
}

void GatewayMetrics::CountRateLimited(wire::CommandKind kind) const {
  const size_t row = static_cast<size_t>(kind);
  if (row < kKinds && rate_limited_[row] != nullptr) rate_limited_[row]->Increment();
}

}  // namespace cmtp::gateway
