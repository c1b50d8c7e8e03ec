#include "services/relay/queue_processor.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/strings.h"

namespace cmtp::relay {
namespace {

std::string Recipient(const QueuedMessageInfo& info) {
  return absl::StrCat(info.dst_account, "@", info.dst_domain);
}

void Log(const QueuedMessageInfo& info, std::string_view what) {
  std::fprintf(stderr, "relay: %s from %s@%s to %s (request %s): %s\n",
               info.message_id.c_str(), info.src_account.c_str(), info.src_domain.c_str(),
               Recipient(info).c_str(), info.request_id.c_str(),
               std::string(what).c_str());
}

std::string Seconds(int64_t ms) { return absl::StrCat(ms / 1000, " s"); }

}  // namespace

QueueProcessor::QueueProcessor(Parts parts, const RelayOptions& options,
                               std::function<int64_t()> now_unix_ms)
    : parts_(parts), options_(options), now_unix_ms_(std::move(now_unix_ms)) {}

void QueueProcessor::Process(const QueuedMessageInfo& claimed) {
  absl::StatusOr<std::optional<QueuedMessage>> loaded =
      parts_.queue.Load(claimed.message_id);
  if (!loaded.ok()) {
    Log(claimed, absl::StrCat("cannot load it (tried again when its lease ends): ",
                              loaded.status().message()));
    return;
  }
  // Finished meanwhile by another worker, or dropped by an operator.
  if (!loaded->has_value()) return;
  const QueuedMessage& message = **loaded;
  if (!message.info.bounce_reason.empty()) {
    // Given up earlier; only the failure notice was left to do.
    (void)GiveUp(message, message.info.bounce_reason, message.info.attempts);
    return;
  }

  parts_.stats.Add(Counter::kDeliveryAttempts);
  const uint32_t attempts = message.info.attempts + 1;
  const DeliveryOutcome outcome = parts_.delivery.Deliver(
      message.info.dst_domain, message.info.message_id, message.message);
  switch (outcome.kind) {
    case DeliveryOutcome::Kind::kDelivered:
      Delivered(message, outcome, attempts);
      return;
    case DeliveryOutcome::Kind::kTemporary:
      FailedForNow(message, outcome, attempts);
      return;
    case DeliveryOutcome::Kind::kPermanent:
      Log(message.info, absl::StrCat("refused for good: ", outcome.detail));
      (void)GiveUp(message, outcome.detail, attempts);
      return;
  }
}

void QueueProcessor::Delivered(const QueuedMessage& message,
                               const DeliveryOutcome& outcome, uint32_t attempts) {
  const int64_t latency_ms = now_unix_ms_() - message.info.queued_ms;
  absl::StatusOr<bool> removed = parts_.queue.Remove(message.info.message_id);
  if (!removed.ok()) {
    // Delivered all the same; the lease runs out and the peer, which
    // deduplicates by id, is sent the message once more.
    Log(message.info, absl::StrCat("delivered, but not removed from the queue: ",
                                   removed.status().message()));
  }
  // Counted once even when two workers raced to deliver it.
  if (removed.ok() && *removed) parts_.stats.RecordDelivery(latency_ms);
  Log(message.info, absl::StrCat("delivered on attempt ", attempts, " after ",
                                 Seconds(latency_ms), " (receipt ", outcome.detail, ")"));
}

void QueueProcessor::FailedForNow(const QueuedMessage& message,
                                  const DeliveryOutcome& outcome, uint32_t attempts) {
  parts_.stats.Add(Counter::kDeliveryFailures);
  const int64_t now = now_unix_ms_();
  const int64_t deadline = message.info.queued_ms + options_.max_queue_lifetime_ms;
  if (now >= deadline) {
    const std::string reason = absl::StrCat("gave up after ", attempts, " attempts in ",
                                            Seconds(now - message.info.queued_ms),
                                            "; last error: ", outcome.detail);
    Log(message.info, reason);
    (void)GiveUp(message, reason, attempts);
    return;
  }
  // The last attempt happens when the lifetime ends, not a whole wait later.
  const int64_t next =
      std::min(now + options_.retry_schedule.DelayMsAfter(attempts), deadline);
  absl::StatusOr<bool> rescheduled =
      parts_.queue.Reschedule(message.info.message_id, attempts, outcome.detail, next);
  if (!rescheduled.ok()) {
    Log(message.info,
        absl::StrCat("attempt failed (", outcome.detail,
                     ") and could not be rescheduled: ", rescheduled.status().message()));
    return;
  }
  Log(message.info, absl::StrCat("attempt ", attempts, " failed, next in ",
                                 Seconds(next - now), ": ", outcome.detail));
}

absl::StatusOr<std::optional<BuiltNotice>> QueueProcessor::PrepareNotice(
    const QueuedMessage& message, std::string_view reason, uint32_t attempts) {
  if (!message.notice_id.empty()) {
    return BuiltNotice{message.notice_id, message.notice};
  }
  const QueuedMessageInfo& info = message.info;
  if (info.src_domain != options_.domain) {
    RemoveBounced(message, absl::StrCat("given up; no failure notice: the sender's "
                                        "domain is not ours (",
                                        options_.domain, ")"));
    return std::nullopt;
  }
  absl::StatusOr<std::string> block = parts_.accounts.AccountKeyBlock(info.src_account);
  if (absl::IsNotFound(block.status())) {
    RemoveBounced(message, "given up; no failure notice: the sender has no account");
    return std::nullopt;
  }
  if (!block.ok()) return block.status();
  absl::StatusOr<std::string> sender_key =
      KeyFromOwnKeyBlock(*block, parts_.server_key.public_key);
  if (!sender_key.ok()) return sender_key.status();

  NoticeFacts facts;
  facts.message_id = info.message_id;
  facts.sender_account = info.src_account;
  facts.recipient = Recipient(info);
  facts.reason = std::string(reason);
  facts.attempts = attempts;
  facts.queued_ms = info.queued_ms;
  facts.given_up_ms = now_unix_ms_();
  absl::StatusOr<BuiltNotice> built =
      ComposeFailureNotice(facts, options_.domain, *sender_key, parts_.server_key);
  if (!built.ok()) return built.status();
  absl::StatusOr<std::optional<std::string>> kept =
      parts_.queue.SaveNotice(info.message_id, built->message_id, built->message_bytes);
  if (!kept.ok()) return kept.status();
  if (!kept->has_value()) return std::nullopt;
  if (**kept == built->message_id) return *std::move(built);
  // Another worker kept its notice first: store that one, never two.
  absl::StatusOr<std::optional<QueuedMessage>> reloaded =
      parts_.queue.Load(info.message_id);
  if (!reloaded.ok()) return reloaded.status();
  if (!reloaded->has_value()) return std::nullopt;
  return BuiltNotice{(*reloaded)->notice_id, (*reloaded)->notice};
}

absl::Status QueueProcessor::GiveUp(const QueuedMessage& message, std::string_view reason,
                                    uint32_t attempts) {
  const QueuedMessageInfo& info = message.info;
  absl::StatusOr<bool> marked =
      parts_.queue.MarkBouncing(info.message_id, reason, attempts);
  if (!marked.ok()) {
    Log(info, absl::StrCat("cannot record giving up: ", marked.status().message()));
    return marked.status();
  }
  if (!*marked) return absl::OkStatus();  // no longer queued

  absl::Status stored = absl::OkStatus();
  absl::StatusOr<std::optional<BuiltNotice>> notice =
      PrepareNotice(message, reason, attempts);
  if (!notice.ok()) {
    stored = notice.status();
  } else if (!notice->has_value()) {
    return absl::OkStatus();
  } else {
    const BuiltNotice& built = **notice;
    stored = parts_.mailboxes.Put(info.src_account, built.message_id, built.message_bytes,
                                  kPostmaster, options_.domain);
    if (stored.ok()) {
      RemoveBounced(message,
                    absl::StrCat("given up (", ToAbsl(reason), "); failure notice ",
                                 built.message_id, " stored for the sender"));
      return absl::OkStatus();
    }
  }
  const int64_t next = now_unix_ms_() + options_.retry_schedule.DelayMsAfter(1);
  const std::string why =
      absl::StrCat("given up (", ToAbsl(reason),
                   "); the failure notice could not be stored yet: ", stored.message());
  Log(info, why);
  absl::StatusOr<bool> deferred =
      parts_.queue.Reschedule(info.message_id, attempts, why, next);
  if (!deferred.ok()) {
    Log(info,
        absl::StrCat("and could not be rescheduled: ", deferred.status().message()));
  }
  return stored;
}

void QueueProcessor::RemoveBounced(const QueuedMessage& message, std::string_view what) {
  absl::StatusOr<bool> removed = parts_.queue.Remove(message.info.message_id);
  if (!removed.ok()) {
    Log(message.info, absl::StrCat(ToAbsl(what), "; but not removed from the queue yet: ",
                                   removed.status().message()));
    return;
  }
  if (*removed) parts_.stats.Add(Counter::kBounces);
  Log(message.info, what);
}

}  // namespace cmtp::relay
