#include "services/relay/relay_metrics.h"

#include <string>

#include "services/relay/relay_stats.h"

namespace cmtp::relay {
namespace {

// The Stats RPC's buckets (relay_stats.h), without its +Inf, which
// prometheus-cpp adds by itself.
prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return prometheus::Histogram::BucketBoundaries(kLatencyBucketSeconds.begin(),
                                                 kLatencyBucketSeconds.end() - 1);
}

}  // namespace

RelayMetrics::RelayMetrics(observability::Metrics& metrics)
    : attempts_(metrics.Counter("cmtp_relay_delivery_attempts_total",
                                "Delivery attempts to other domains, by outcome "
                                "(delivered, temporary_failure, permanent_failure).",
                                {"outcome"})),
      failures_(metrics.Counter(
          "cmtp_relay_delivery_failures_total",
          "Failed delivery attempts, by reason (unreachable, io, protocol, "
          "bad_signature, refused).",
          {"reason"})),
      deliveries_(
          metrics
              .Counter("cmtp_relay_deliveries_total",
                       "Messages delivered to another domain (a verified receipt).")
              .With({})),
      latency_(metrics
                   .Histogram("cmtp_relay_delivery_latency_seconds",
                              "Time from enqueue to the peer's receipt.", {},
                              LatencyBuckets())
                   .With({})),
      retries_(metrics
                   .Counter("cmtp_relay_delivery_retries_total",
                            "Temporary failures rescheduled for a later attempt.")
                   .With({})),
      bounces_(metrics
                   .Counter("cmtp_relay_bounces_total",
                            "Messages given up on (the sender gets a failure notice).")
                   .With({})),
      key_fetches_(metrics
                       .Counter("cmtp_relay_key_fetches_total",
                                "Foreign keys asked of their domain's server.")
                       .With({})),
      key_cache_hits_(metrics
                          .Counter("cmtp_relay_key_cache_hits_total",
                                   "Foreign key requests answered from the cache.")
                          .With({})),
      pin_refusals_(
          metrics
              .Counter("cmtp_relay_pin_refusals_total",
                       "Peers refused for presenting a key other than their pin.")
              .With({})),
      queue_depth_(metrics
                       .Gauge("cmtp_relay_queue_depth",
                              "Messages in the outbound queue shared by every replica.")
                       .With({})) {}

void RelayMetrics::AttemptFinished(const DeliveryOutcome& outcome) {
  attempts_.With({std::string(OutcomeName(outcome.kind))}).Increment();
  if (outcome.kind != DeliveryOutcome::Kind::kDelivered) {
    failures_.With({outcome.reason.empty() ? "other" : std::string(outcome.reason)})
        .Increment();
  }
}

void RelayMetrics::Delivered(double latency_seconds) {
  deliveries_.Increment();
  latency_.Observe(latency_seconds < 0 ? 0 : latency_seconds);
}

void RelayMetrics::Retried() { retries_.Increment(); }
void RelayMetrics::Bounced() { bounces_.Increment(); }
void RelayMetrics::KeyFetched() { key_fetches_.Increment(); }
void RelayMetrics::KeyCacheHit() { key_cache_hits_.Increment(); }
void RelayMetrics::PinRefused() { pin_refusals_.Increment(); }

void RelayMetrics::SetQueueDepth(uint64_t depth) {
  queue_depth_.Set(static_cast<double>(depth));
}

}  // namespace cmtp::relay
