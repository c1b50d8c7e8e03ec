// The mailstore's core: mailboxes of opaque message blobs in Redis, with an
// arrival-ordered index. Knows Redis, not gRPC; tested against a real Redis.
//
// Durability: Redis runs with appendfsync always, so a Put's script reply
// arrives only after the write is on disk. With wait_replicas > 0 the Put
// also sends WAIT on the same connection (same round trip) and fails with
// Unavailable when fewer replicas acknowledged in time; the message is then
// stored locally, and the caller's retry is answered as a duplicate once the
// replicas catch up.
#ifndef CMTP_SERVICES_MAILSTORE_MAILBOX_STORE_H_
#define CMTP_SERVICES_MAILSTORE_MAILBOX_STORE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/redis/client.h"
#include "services/mailstore/message_meta.h"

namespace cmtp::mailstore {

struct MailboxStoreOptions {
  int64_t max_blob_bytes = 33816576;  // 32 MiB + 256 KiB for the envelope
  int wait_replicas = 0;              // replicas a Put waits for (WAIT)
  int wait_timeout_ms = 1000;         // how long that wait may take
  int max_batch_puts = 256;           // puts one PutMany may carry
};

// InvalidInput when the options cannot work (non-positive cap, negative
// replica count, a zero WAIT timeout, which Redis reads as "forever").
absl::Status ValidateOptions(const MailboxStoreOptions& options);

struct PutResult {
  MessageMeta meta;
  bool duplicate = false;  // the id was stored already; meta is the first put's
};

// One message of a PutMany, with the same fields as Put's arguments.
struct PutItem {
  std::string_view mailbox;
  std::string_view message_id;
  std::string_view blob;
  std::string_view src_account;
  std::string_view src_domain;
};

struct StoredMessage {
  MessageMeta meta;
  std::string blob;
};

struct MailboxStats {
  std::string mailbox;
  uint64_t messages = 0;
  uint64_t bytes = 0;

  bool operator==(const MailboxStats&) const = default;
};

class MailboxStore {
 public:
  // `redis` and the clock must outlive the store. Invalid options are a
  // programming error (check them with ValidateOptions first): abort.
  MailboxStore(redis::Client& redis, MailboxStoreOptions options,
               std::function<int64_t()> now_unix_ms);

  // Stores `blob` under (mailbox, message_id), atomically and once: a second
  // put of the same id stores nothing and returns the first one's metadata
  // with duplicate = true. One round trip to Redis. The blob reaches Redis
  // without being copied here.
  absl::StatusOr<PutResult> Put(std::string_view mailbox, std::string_view message_id,
                                std::string_view blob, std::string_view src_account,
                                std::string_view src_domain) const;
  // Several puts, each as Put would do it, with one outcome per item in
  // order. An item that fails validation fails alone; the others are stored
  // by one script run (one Redis write, one fsync), all of them or none: when
  // Redis fails, each of them gets that error. Items with the same id in the
  // same mailbox store the first and answer the later ones as duplicates.
  // InvalidInput for the whole call when it has no items or more than
  // max_batch_puts.
  absl::StatusOr<std::vector<absl::StatusOr<PutResult>>> PutMany(
      const std::vector<PutItem>& items) const;
  // Metadata of every message of the mailbox, in arrival order (empty for a
  // mailbox that never received anything).
  absl::StatusOr<std::vector<MessageMeta>> List(std::string_view mailbox) const;
  // NotFound when the mailbox has no such message.
  absl::StatusOr<StoredMessage> Get(std::string_view mailbox,
                                    std::string_view message_id) const;
  // NotFound when the mailbox has no such message.
  absl::Status Delete(std::string_view mailbox, std::string_view message_id) const;
  // Counts for one mailbox, or for every mailbox (sorted by name) when
  // `mailbox` is empty. A mailbox that never received anything counts zero.
  absl::StatusOr<std::vector<MailboxStats>> Stats(std::string_view mailbox) const;

  const MailboxStoreOptions& options() const { return options_; }

 private:
  redis::Client& redis_;
  const MailboxStoreOptions options_;
  const std::function<int64_t()> now_unix_ms_;
};

}  // namespace cmtp::mailstore

#endif  // CMTP_SERVICES_MAILSTORE_MAILBOX_STORE_H_
