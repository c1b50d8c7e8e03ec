// The durable outbound queue in Redis, shared by every relay replica
// (docs/services.md, "relay"):
//   cmtp:relay:msg:<id>  hash: message bytes, envelope, queued_ms, attempts,
//                        last_error, and the failure notice once one is built
//   cmtp:relay:due       sorted set: id -> next attempt (unix ms)
// Every state change is one Lua script, so a crash between two steps never
// leaves half a change. Claiming pushes a message's score to the end of a
// lease instead of removing it: a relay killed mid-delivery loses nothing,
// its messages come due again when their leases end.
//
// The queue stores and schedules; what a failure means (backoff, lifetime,
// failure notices) is decided by QueueProcessor.
#ifndef CMTP_SERVICES_RELAY_OUTBOUND_QUEUE_H_
#define CMTP_SERVICES_RELAY_OUTBOUND_QUEUE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/redis/client.h"

namespace cmtp::relay {

// A message to queue; the views must live for the call.
struct NewMessage {
  std::string_view message_id;
  std::string_view message;  // the message bytes, this hop's log entry included
  std::string_view dst_account;
  std::string_view dst_domain;
  std::string_view src_account;
  std::string_view src_domain;
  std::string_view request_id;
};

// A message of a batch to queue (OutboundQueue::EnqueueMany), and whether it
// is stored claimed, as Enqueue's `claimed`.
struct EnqueueItem {
  NewMessage message;
  bool claimed = false;
};

struct EnqueueResult {
  bool duplicate = false;  // the id was queued already; nothing was stored
  int64_t queued_ms = 0;   // when the first enqueue of this id happened
  // Queued claimed (Enqueue's `claimed`): the end of the lease; else 0.
  int64_t lease_until_ms = 0;
  // A worker of this relay took the message at once (RelayCore::Enqueue).
  bool handed_to_worker = false;
};

// What the queue knows about a message, without its bytes.
struct QueuedMessageInfo {
  std::string message_id;
  std::string dst_account;
  std::string dst_domain;
  std::string src_account;
  std::string src_domain;
  std::string request_id;
  uint64_t size = 0;
  int64_t queued_ms = 0;
  int64_t next_attempt_ms = 0;  // while claimed: the end of the lease
  uint32_t attempts = 0;
  std::string last_error;
  // Not empty once delivery was given up: the failure notice is on its way.
  std::string bounce_reason;
};

// A message as a claim hands it out: what the queue knows, and its bytes
// when they are small enough to come with the claim (saving the worker a
// round trip) and it is not given up already (a failure notice needs Load).
struct ClaimedMessage {
  QueuedMessageInfo info;
  std::optional<std::string> message;
};

// A message with its bytes, as a worker processes it.
struct QueuedMessage {
  QueuedMessageInfo info;
  std::string message;
  // The failure notice, once built: kept so a retry after a crash stores the
  // very same notice (same id) instead of a second one.
  std::string notice_id;
  std::string notice;
};

// A field of a counters hash and what to add to it (HINCRBY).
struct CounterIncrement {
  std::string field;
  int64_t amount = 0;
};

struct QueueListing {
  std::vector<QueuedMessageInfo> messages;
  uint64_t depth = 0;  // everything queued
};

struct QueueOptions {
  int64_t lease_ms = 60'000;
  int wait_replicas = 0;  // replicas Enqueue waits for (Redis WAIT)
  int wait_timeout_ms = 1000;
  // Destinations with due messages one claim looks at: bounds the script's
  // work when many destinations are at their cap.
  int claim_scan_limit = 512;
  // Messages up to this size come with their claim (ClaimedMessage).
  uint64_t claim_bytes_limit = 64 * 1024;
};

class OutboundQueue {
 public:
  // `redis` must outlive the queue. `now_unix_ms` is the wall clock, shared
  // by every replica through the scores it writes.
  OutboundQueue(redis::Client& redis, QueueOptions options,
                std::function<int64_t()> now_unix_ms);

  // Stores the message, due now, once: a second enqueue of the same id stores
  // nothing and answers duplicate. Returns after Redis has it on disk
  // (appendfsync always) and, with wait_replicas, on that many replicas
  // (Unavailable otherwise: the message is queued, a retry is a duplicate).
  // With `claimed`, a message stored now is stored claimed for `lease_ms`,
  // for a worker that is waiting for it (a duplicate stays as it was).
  absl::StatusOr<EnqueueResult> Enqueue(const NewMessage& message,
                                        bool claimed = false) const;
  // Several Enqueues as one script run (one write and fsync for the lot);
  // the results in the items' order. All or nothing on an error, as Redis
  // runs a script whole: a failed call stored nothing, except that a WAIT
  // falling short (Unavailable) leaves every message queued. Two items with
  // the same id: the second is a duplicate of the first. `items` must not be
  // empty.
  absl::StatusOr<std::vector<EnqueueResult>> EnqueueMany(
      const std::vector<EnqueueItem>& items) const;

  // Claims up to `max_messages` due messages for `lease_ms`: destinations
  // in the order of their oldest due message, each one's oldest first,
  // skipping destinations that already have `max_per_destination` messages
  // in progress here (`busy`: domain -> in progress, plus those claimed by
  // this call). Its work grows with the destinations looked at and the
  // messages claimed, not with a destination's backlog.
  absl::StatusOr<std::vector<ClaimedMessage>> Claim(
      size_t max_messages, const std::map<std::string, int>& busy,
      int max_per_destination) const;

  // The message with its bytes; nullopt when it is no longer queued.
  absl::StatusOr<std::optional<QueuedMessage>> Load(std::string_view message_id) const;
  // Its metadata only; nullopt when it is not queued.
  absl::StatusOr<std::optional<QueuedMessageInfo>> Get(std::string_view message_id) const;
  // Messages in due order, those for `domain` only when it is not empty.
  absl::StatusOr<QueueListing> List(std::string_view domain, size_t limit) const;
  absl::StatusOr<uint64_t> Depth() const;

  // Removes the message (delivered, dropped or bounced). False when it was
  // not queued (another worker finished it first).
  absl::StatusOr<bool> Remove(std::string_view message_id) const;
  // A delivered message to remove, and what to add to the counters when
  // this removal is the one that happened.
  struct Removal {
    std::string_view message_id;
    std::vector<CounterIncrement> increments;
  };
  // Removes each message and, for those this call removed, adds their
  // `increments` to the hash `counters_key` in the same step: a delivery is
  // counted once even when two workers raced, and a batch of deliveries
  // costs one round trip. Returns per message whether this call removed it.
  absl::StatusOr<std::vector<bool>> RemoveAndCount(const std::vector<Removal>& removals,
                                                   std::string_view counters_key) const;
  // After a failed attempt: records `attempts` and `last_error` and makes it
  // due at `next_attempt_ms`. False when it is no longer queued.
  absl::StatusOr<bool> Reschedule(std::string_view message_id, uint32_t attempts,
                                  std::string_view last_error,
                                  int64_t next_attempt_ms) const;
  // Delivery is given up: every later claim goes straight to the failure
  // notice. The first reason recorded stays. False when no longer queued.
  absl::StatusOr<bool> MarkBouncing(std::string_view message_id, std::string_view reason,
                                    uint32_t attempts) const;
  // Keeps the built failure notice with the message, unless one is kept
  // already: returns the id of the notice to store (the earlier one then),
  // nullopt when the message is no longer queued.
  absl::StatusOr<std::optional<std::string>> SaveNotice(std::string_view message_id,
                                                        std::string_view notice_id,
                                                        std::string_view notice) const;
  // A claimed message that will not be worked on after all (shutdown): due
  // now again. False when it is no longer queued.
  absl::StatusOr<bool> Release(std::string_view message_id) const;
  // A claimed message still being worked on: its lease ends `lease_ms` from
  // now instead, so a slow attempt is not redelivered by another worker.
  // Returns the new end of the lease; nullopt when the message is no longer
  // claimed (finished, rescheduled, released or removed): nothing changes.
  absl::StatusOr<std::optional<int64_t>> RenewLease(std::string_view message_id) const;
  // Makes one message (or, with an empty id, every message) due now, except
  // those being delivered right now. Returns how many were rescheduled;
  // NotFound for an id that is not queued.
  absl::StatusOr<uint64_t> RetryNow(std::string_view message_id) const;

  const QueueOptions& options() const { return options_; }
  // The wall clock the queue's scores are in (unix ms).
  int64_t NowMs() const { return now_unix_ms_(); }

 private:
  redis::Client& redis_;
  const QueueOptions options_;
  const std::function<int64_t()> now_unix_ms_;
};

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_OUTBOUND_QUEUE_H_
