// The gateway's Prometheus metrics (docs/operations.md, "Gateway metrics").
// Every labelled series is made once, when the gateway starts: counting a
// command is an array index and an atomic add, never a label lookup.
//
//   cmtp_gateway_requests_total{command,outcome}   commands answered, by how
//     they ended: success (any reply but a FAILURE status), failure (a FAILURE
//     status: refused, or a service behind the gateway failed), close (OBAI,
//     or the peer left before its reply was written) and error (a request
//     that could not be parsed; the connection is closed; command "INVALID");
//   cmtp_gateway_request_duration_seconds{command}  from the whole command
//     read to its reply written;
//   cmtp_gateway_received_bytes_total, cmtp_gateway_sent_bytes_total;
//   cmtp_gateway_message_size_bytes        MAIL message bytes as received;
//   cmtp_gateway_open_connections          sessions now;
//   cmtp_gateway_connections_accepted_total, cmtp_gateway_connections_refused_total
//     (refused: over --max-connections);
//   cmtp_gateway_rate_limited_total{command}  LOGIN, LOGINPROOF and AUTH the
//     keyserver refused for its rate limits.
//
// Labels are command words, never a user, account or address.
#ifndef CMTP_SERVICES_GATEWAY_GATEWAY_METRICS_H_
#define CMTP_SERVICES_GATEWAY_GATEWAY_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <array>
#include <chrono>
#include <cstddef>

#include "lib/observability/metrics.h"
#include "lib/wire/command.h"

namespace cmtp::gateway {

enum class CommandOutcome { kSuccess, kFailure, kClose, kError };

// "success", "failure", "close", "error".
std::string_view CommandOutcomeName(CommandOutcome outcome);

class GatewayMetrics {
 public:
  // `metrics` must outlive this object.
  explicit GatewayMetrics(observability::Metrics& metrics);
  GatewayMetrics(const GatewayMetrics&) = delete;
  GatewayMetrics& operator=(const GatewayMetrics&) = delete;

  // All thread-safe.
  void CountCommand(wire::CommandKind kind, CommandOutcome outcome,
                    std::chrono::steady_clock::duration took) const;
  // A request the parser refused: the session ends.
  void CountInvalidRequest() const;
  void AddReceivedBytes(size_t bytes) const {
    received_bytes_->Increment(static_cast<double>(bytes));
  }
  void AddSentBytes(size_t bytes) const {
    sent_bytes_->Increment(static_cast<double>(bytes));
  }
  void ObserveMessageSize(size_t bytes) const {
    message_size_->Observe(static_cast<double>(bytes));
  }
  void ConnectionOpened() const { open_connections_->Increment(); }
  void ConnectionClosed() const { open_connections_->Decrement(); }
  void ConnectionAccepted() const { accepted_->Increment(); }
  void ConnectionRefused() const { refused_->Increment(); }
  // LOGIN, LOGINPROOF or AUTH refused by the keyserver's rate limits.
  void CountRateLimited(wire::CommandKind kind) const;

 private:
  // Every CommandKind, plus one row for requests that never became one.
  // Null where a combination has no series (see the constructor).
  static constexpr size_t kKinds = static_cast<size_t>(wire::CommandKind::kDelete) + 1;
  static constexpr size_t kRows = kKinds + 1;
  static constexpr size_t kInvalidRow = kKinds;
  static constexpr size_t kOutcomes = 4;

  std::array<std::array<prometheus::Counter*, kOutcomes>, kRows> requests_{};
  std::array<prometheus::Histogram*, kRows> durations_{};
  std::array<prometheus::Counter*, kKinds> rate_limited_{};
  prometheus::Counter* received_bytes_ = nullptr;
  prometheus::Counter* sent_bytes_ = nullptr;
  prometheus::Histogram* message_size_ = nullptr;
  prometheus::Gauge* open_connections_ = nullptr;
  prometheus::Counter* accepted_ = nullptr;
  prometheus::Counter* refused_ = nullptr;
};

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_GATEWAY_METRICS_H_
