// The relay's operations as the gRPC API offers them (protos/cmtp/v1/
// relay.proto), on the core's parts: validation, then the queue, the key
// fetcher, the pins and the counters. Knows Redis and CMTP, not gRPC.
#ifndef CMTP_SERVICES_RELAY_RELAY_CORE_H_
#define CMTP_SERVICES_RELAY_RELAY_CORE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/observability/logger.h"
#include "services/relay/key_fetcher.h"
#include "services/relay/outbound_queue.h"
#include "services/relay/pin_store.h"
#include "services/relay/queue_processor.h"
#include "services/relay/relay_options.h"
#include "services/relay/relay_stats.h"
#include "services/relay/work_sink.h"

namespace cmtp::relay {

inline constexpr size_t kDefaultListLimit = 100;
inline constexpr size_t kMaxListLimit = 10'000;

struct RelayStatsView {
  StatsSnapshot counters;
  uint64_t queue_depth = 0;
};

class RelayCore {
 public:
  struct Parts {
    OutboundQueue& queue;
    QueueProcessor& processor;
    KeyFetcher& keys;
    PinStore& pins;
    RelayStats& stats;
    // Enqueues and operator actions, one JSON line each, under the caller's
    // request id.
    const observability::Logger& log;
  };

  // Every part and `work` (the delivery engine) must outlive the core.
  RelayCore(Parts parts, const RelayOptions& options, WorkSink& work);

  // Checks that `message` is one MAIL message for a foreign domain from a
  // local sender, whose id and envelope match the request, then queues it:
  // claimed by a worker of this relay when one is free for its destination
  // (handed_to_worker), else due now, and the engine woken.
  absl::StatusOr<EnqueueResult> Enqueue(const NewMessage& message);
  // Several Enqueues with one queue write: each message checked and answered
  // on its own (an invalid one fails alone, the others are queued). A batch
  // that is empty or over max_batch_enqueues fails whole (InvalidInput).
  absl::StatusOr<std::vector<absl::StatusOr<EnqueueResult>>> EnqueueMany(
      const std::vector<NewMessage>& messages);
  absl::StatusOr<FetchedKey> FetchKey(std::string_view domain, std::string_view account);

  // `limit` 0: the default (100); at most 10000.
  absl::StatusOr<QueueListing> ListQueue(std::string_view domain, size_t limit);
  absl::StatusOr<QueuedMessageInfo> GetQueued(std::string_view message_id);
  absl::StatusOr<uint64_t> RetryNow(std::string_view message_id);
  // With `notify_sender`, the sender gets the failure notice as if the
  // lifetime had run out.
  absl::Status Drop(std::string_view message_id, bool notify_sender);
  absl::StatusOr<std::vector<Pin>> ListPins();
  absl::Status Repin(std::string_view domain, std::string_view server_public_key);
  absl::StatusOr<RelayStatsView> Stats();

 private:
  // Checks that `message` is one MAIL message for a foreign domain from a
  // local sender, whose id and envelope match the request; returns its
  // destination, lower-cased.
  absl::StatusOr<std::string> CheckOutbound(const NewMessage& message) const;

  Parts parts_;
  const RelayOptions& options_;
  WorkSink& work_;
};

// A foreign domain name as the relay accepts it: lower-cased, letters,
// digits, '-' and '.', at most 255 bytes. InvalidInput otherwise.
absl::StatusOr<std::string> NormalizeDomain(std::string_view domain);

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_RELAY_CORE_H_
