#include "services/relay/queue_processor.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/strings.h"
#include "lib/observability/request_id.h"
#include "services/relay/relay_keys.h"
#include "services/relay/relay_metrics.h"

namespace cmtp::relay {
namespace {

std::string Recipient(const QueuedMessageInfo& info) {
  return absl::StrCat(info.dst_account, "@", info.dst_domain);
}

using observability::LogLevel;

std::string Seconds(int64_t ms) { return absl::StrCat(ms / 1000, " s"); }

}  // namespace

QueueProcessor::QueueProcessor(Parts parts, const RelayOptions& options,
                               std::function<int64_t()> now_unix_ms)
    : parts_(parts), options_(options), now_unix_ms_(std::move(now_unix_ms)) {}

void QueueProcessor::Log(LogLevel level, const QueuedMessageInfo& info,
                         std::string_view msg, std::string_view detail) const {
  parts_.log.Log(level, msg,
                 {{"message_id", info.message_id},
                  {"src_domain", info.src_domain},
                  {"dst_domain", info.dst_domain},
                  {"detail", detail}});
}

std::optional<DeliveredMessage> QueueProcessor::Process(const ClaimedMessage& claimed) {
  const observability::ScopedRequestId request_id(claimed.info.request_id);
  std::optional<QueuedMessage> loaded;
  if (claimed.message.has_value()) {
    // Small and not given up: the claim brought everything needed.
    loaded = QueuedMessage{claimed.info, *claimed.message, "", ""};
  } else {
    absl::StatusOr<std::optional<QueuedMessage>> read =
        parts_.queue.Load(claimed.info.message_id);
    if (!read.ok()) {
      Log(LogLevel::kWarning, claimed.info, "cannot load a claimed message",
          absl::StrCat("tried again when its lease ends: ", read.status().message()));
      return std::nullopt;
    }
    // Finished meanwhile by another worker, or dropped by an operator.
    if (!read->has_value()) return std::nullopt;
    loaded = *std::move(read);
  }
  const QueuedMessage& message = *loaded;
  if (!message.info.bounce_reason.empty()) {
    // Given up earlier; only the failure notice was left to do.
    (void)GiveUp(message, message.info.bounce_reason, message.info.attempts);
    return std::nullopt;
  }

  // The attempt is counted with its outcome (one round trip fewer).
  const uint32_t attempts = message.info.attempts + 1;
  const auto started = std::chrono::steady_clock::now();
  const DeliveryOutcome outcome = parts_.delivery.Deliver(
      message.info.dst_domain, message.info.message_id, message.message);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  if (RelayMetrics* metrics = parts_.stats.metrics(); metrics != nullptr) {
    metrics->AttemptFinished(outcome);
  }
  parts_.log.Log(
      outcome.kind == DeliveryOutcome::Kind::kDelivered ? LogLevel::kInfo
                                                        : LogLevel::kWarning,
      "delivery attempt",
      {{"message_id", message.info.message_id},
       {"src_domain", message.info.src_domain},
       {"dst_domain", message.info.dst_domain},
       {"attempt", attempts},
       {"size_bytes", message.info.size},
       {"outcome", OutcomeName(outcome.kind)},
       {"reason", outcome.reason},
       {"detail", outcome.detail},
       {"duration_seconds", took.count()},
       {"queued_seconds",
        static_cast<double>(now_unix_ms_() - message.info.queued_ms) / 1000.0}});
  switch (outcome.kind) {
    case DeliveryOutcome::Kind::kDelivered:
      return DeliveredMessage{message.info, now_unix_ms_() - message.info.queued_ms};
    case DeliveryOutcome::Kind::kTemporary:
      FailedForNow(message, outcome, attempts);
      return std::nullopt;
    case DeliveryOutcome::Kind::kPermanent:
      parts_.stats.Add(Counter::kDeliveryAttempts);
      (void)GiveUp(message, outcome.detail, attempts);
      return std::nullopt;
  }
  return std::nullopt;
}

void QueueProcessor::FinishDelivered(const std::vector<DeliveredMessage>& delivered) {
  if (delivered.empty()) return;
  std::vector<OutboundQueue::Removal> removals;
  removals.reserve(delivered.size());
  for (const DeliveredMessage& message : delivered) {
    removals.push_back(
        {message.info.message_id, parts_.stats.DeliveryIncrements(message.latency_ms)});
  }
  // Removed and counted in one step: counted once even when two workers
  // raced to deliver a message.
  absl::StatusOr<std::vector<bool>> removed =
      parts_.queue.RemoveAndCount(removals, keys::kStats);
  if (!removed.ok()) {
    for (const DeliveredMessage& message : delivered) {
      const observability::ScopedRequestId request_id(message.info.request_id);
      Log(LogLevel::kWarning, message.info, "delivered, but not removed from the queue",
          FromAbsl(removed.status().message()));
    }
    return;
  }
  for (size_t i = 0; i < delivered.size(); ++i) {
    if ((*removed)[i]) {
      parts_.stats.DeliveryCounted(delivered[i].latency_ms);
    } else {
      parts_.stats.Add(Counter::kDeliveryAttempts);
    }
  }
}

void QueueProcessor::FailedForNow(const QueuedMessage& message,
                                  const DeliveryOutcome& outcome, uint32_t attempts) {
  parts_.stats.Add({Counter::kDeliveryAttempts, Counter::kDeliveryFailures});
  const int64_t now = now_unix_ms_();
  const int64_t deadline = message.info.queued_ms + options_.max_queue_lifetime_ms;
  if (now >= deadline) {
    const std::string reason = absl::StrCat("gave up after ", attempts, " attempts in ",
                                            Seconds(now - message.info.queued_ms),
                                            "; last error: ", outcome.detail);
    (void)GiveUp(message, reason, attempts);
    return;
  }
  // The last attempt happens when the lifetime ends, not a whole wait later.
  const int64_t next =
      std::min(now + options_.retry_schedule.DelayMsAfter(attempts), deadline);
  absl::StatusOr<bool> rescheduled =
      parts_.queue.Reschedule(message.info.message_id, attempts, outcome.detail, next);
  if (!rescheduled.ok()) {
    Log(LogLevel::kError, message.info, "a failed attempt could not be rescheduled",
        absl::StrCat(rescheduled.status().message(),
                     " (tried again when its lease ends)"));
    return;
  }
  if (RelayMetrics* metrics = parts_.stats.metrics(); metrics != nullptr) {
    metrics->Retried();
  }
  Log(LogLevel::kInfo, message.info, "retry scheduled",
      absl::StrCat("attempt ", attempts + 1, " in ", Seconds(next - now)));
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
    Log(LogLevel::kError, info, "cannot record giving up",
        FromAbsl(marked.status().message()));
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
  Log(LogLevel::kWarning, info, "failure notice deferred", why);
  absl::StatusOr<bool> deferred =
      parts_.queue.Reschedule(info.message_id, attempts, why, next);
  if (!deferred.ok()) {
    Log(LogLevel::kError, info, "a deferred failure notice could not be rescheduled",
        FromAbsl(deferred.status().message()));
  }
  return stored;
}

void QueueProcessor::RemoveBounced(const QueuedMessage& message, std::string_view what) {
  absl::StatusOr<bool> removed = parts_.queue.Remove(message.info.message_id);
  if (!removed.ok()) {
    Log(LogLevel::kError, message.info, "given up, but not removed from the queue yet",
        absl::StrCat(ToAbsl(what), "; ", removed.status().message()));
    return;
  }
  if (*removed) parts_.stats.Add(Counter::kBounces);
  Log(LogLevel::kWarning, message.info, "given up", what);
}

}  // namespace cmtp::relay
