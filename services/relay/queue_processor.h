// What happens to one claimed message: a delivery attempt and its outcome.
//   delivered           -> removed from the queue, counted with its latency
//                          (FinishDelivered: several in one round trip)
//   temporary failure   -> attempts+1, last_error, due again after the retry
//                          schedule's wait; past the maximum queue lifetime:
//                          given up
//   permanent failure   -> given up at once (the peer's reason)
// Giving up sends the sender a failure notice (failure_notice.h) and then
// removes the message. The notice is built once and kept in the queue before
// it is stored, so a crash between the two steps stores the same notice on
// the next try, which the mailstore deduplicates by id.
#ifndef CMTP_SERVICES_RELAY_QUEUE_PROCESSOR_H_
#define CMTP_SERVICES_RELAY_QUEUE_PROCESSOR_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "lib/crypto/sodium.h"
#include "lib/observability/logger.h"
#include "services/relay/failure_notice.h"
#include "services/relay/local_services.h"
#include "services/relay/mail_delivery.h"
#include "services/relay/outbound_queue.h"
#include "services/relay/relay_options.h"
#include "services/relay/relay_stats.h"

namespace cmtp::relay {

// A message Process delivered: its removal from the queue is left to
// QueueProcessor::FinishDelivered, which removes several in one round trip.
// Until then it stays claimed (its lease covers it).
struct DeliveredMessage {
  QueuedMessageInfo info;
  int64_t latency_ms = 0;  // from queueing to the verified receipt
};

class QueueProcessor {
 public:
  struct Parts {
    OutboundQueue& queue;
    MailDelivery& delivery;
    LocalAccounts& accounts;
    LocalMailboxes& mailboxes;
    RelayStats& stats;
    const crypto::KeyPair& server_key;
    // One JSON line per attempt and per outcome, with the request id the
    // gateway queued the message under.
    const observability::Logger& log;
  };

  // Every part must outlive the processor. `now_unix_ms` is the wall clock.
  // Thread-safe: workers process different messages at once.
  QueueProcessor(Parts parts, const RelayOptions& options,
                 std::function<int64_t()> now_unix_ms);

  // Works on one message claimed from the queue, and records the outcome in
  // the queue, except a delivery: that one is returned for FinishDelivered.
  // The message's request id is the thread's current one meanwhile (log
  // lines, calls to our keyserver and mailstore). Failures to record (Redis
  // down) are logged: the lease then runs out and the message is tried again.
  std::optional<DeliveredMessage> Process(const ClaimedMessage& claimed);
  // Removes delivered messages from the queue, counting each delivery once.
  // A failure is logged: the leases run out and the peers, which
  // deduplicate by id, are sent the messages once more.
  void FinishDelivered(const std::vector<DeliveredMessage>& delivered);

  // Gives up on a message: the sender's failure notice, then removal. An
  // error (our keyserver or mailstore unreachable) leaves it queued with
  // the notice kept, due again after the first retry wait.
  absl::Status GiveUp(const QueuedMessage& message, std::string_view reason,
                      uint32_t attempts);

 private:
  // The notice to store: the one kept with the message, or a new one, built
  // and kept. nullopt when there is nobody to tell (an unknown sender: the
  // message is then removed) or the message is no longer queued.
  absl::StatusOr<std::optional<BuiltNotice>> PrepareNotice(const QueuedMessage& message,
                                                           std::string_view reason,
                                                           uint32_t attempts);
  void FailedForNow(const QueuedMessage& message, const DeliveryOutcome& outcome,
                    uint32_t attempts);
  // Removes a message that was given up, counting the bounce once.
  void RemoveBounced(const QueuedMessage& message, std::string_view what);
  // A line about `info` at `level`: its id, domains and `detail`.
  void Log(observability::LogLevel level, const QueuedMessageInfo& info,
           std::string_view msg, std::string_view detail) const;

  Parts parts_;
  const RelayOptions& options_;
  const std::function<int64_t()> now_unix_ms_;
};

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_QUEUE_PROCESSOR_H_
