// The relay's Prometheus metrics, served on its /metrics port
// (docs/operations.md, "Relay metrics"). They count what this replica did;
// the Stats RPC reads the suite-wide totals every replica adds to in Redis
// (relay_stats.h). Labels are fixed words (outcome, reason), never a domain
// or an address.
#ifndef CMTP_SERVICES_RELAY_RELAY_METRICS_H_
#define CMTP_SERVICES_RELAY_RELAY_METRICS_H_

#include <cstdint>
#include <string_view>

#include "lib/observability/metrics.h"
#include "services/relay/mail_delivery.h"

namespace cmtp::relay {

class RelayMetrics {
 public:
  // Registers the relay's families in `metrics`, which must outlive this.
  explicit RelayMetrics(observability::Metrics& metrics);

  // One finished attempt: cmtp_relay_delivery_attempts_total{outcome}, and
  // for a failure cmtp_relay_delivery_failures_total{reason}.
  void AttemptFinished(const DeliveryOutcome& outcome);
  // A receipt, with the time from enqueue to it.
  void Delivered(double latency_seconds);
  // A temporary failure rescheduled for a later attempt.
  void Retried();
  // Given up on (failure notice or none).
  void Bounced();
  // A foreign key asked of its server, or answered from the cache.
  void KeyFetched();
  void KeyCacheHit();
  // A peer presented a server key other than its pin.
  void PinRefused();
  // Messages in the shared queue (every replica's).
  void SetQueueDepth(uint64_t depth);

 private:
  observability::CounterFamily attempts_;
  observability::CounterFamily failures_;
  prometheus::Counter& deliveries_;
  prometheus::Histogram& latency_;
  prometheus::Counter& retries_;
  prometheus::Counter& bounces_;
  prometheus::Counter& key_fetches_;
  prometheus::Counter& key_cache_hits_;
  prometheus::Counter& pin_refusals_;
  prometheus::Gauge& queue_depth_;
};

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_RELAY_METRICS_H_
