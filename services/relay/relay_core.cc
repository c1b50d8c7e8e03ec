#include "services/relay/relay_core.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/crypto/sodium.h"
#include "lib/wire/limits.h"
#include "lib/wire/message_id.h"
#include "lib/wire/message_parser.h"

namespace cmtp::relay {
namespace {

constexpr size_t kMaxStr = 255;

// Generous limits for a message our own gateway accepted under its limits:
// the queue only checks that the bytes are one well-formed message.
wire::Limits QueueLimits() {
  wire::Limits limits;
  limits.max_log = 16ull << 20;
  limits.max_message = 1ull << 30;
  limits.max_attachments = 1u << 16;
  return limits;
}

absl::Status ValidateAccount(std::string_view account) {
  if (account.empty() || account.size() > kMaxStr) {
    return error::InvalidInput("an account name is 1 to 255 bytes");
  }
  for (char c : account) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return error::InvalidInput("an account name has no control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateMessageId(std::string_view message_id) {
  if (!wire::IsMessageId(message_id)) {
    return error::InvalidInput(
        absl::StrCat("\"", ToAbsl(message_id), "\" is not a message id (32 hex digits)"));
  }
  return absl::OkStatus();
}

absl::Status Mismatch(std::string_view field, std::string_view request,
                      std::string_view message) {
  return error::InvalidInput(absl::StrCat("the request's ", ToAbsl(field), " \"",
                                          ToAbsl(request), "\" is not the message's \"",
                                          ToAbsl(message), "\""));
}

// A message queued claimed (EnqueueResult::lease_until_ms), as a claim would
// have handed it out.
ClaimedMessage ClaimedAtEnqueue(const NewMessage& message, const EnqueueResult& queued) {
  ClaimedMessage claimed;
  claimed.info.message_id = std::string(message.message_id);
  claimed.info.dst_account = std::string(message.dst_account);
  claimed.info.dst_domain = std::string(message.dst_domain);
  claimed.info.src_account = std::string(message.src_account);
  claimed.info.src_domain = std::string(message.src_domain);
  claimed.info.request_id = std::string(message.request_id);
  claimed.info.size = message.message.size();
  claimed.info.queued_ms = queued.queued_ms;
  claimed.info.next_attempt_ms = queued.lease_until_ms;
  claimed.message = std::string(message.message);
  return claimed;
}

}  // namespace

absl::StatusOr<std::string> NormalizeDomain(std::string_view domain) {
  if (domain.empty() || domain.size() > kMaxStr) {
    return error::InvalidInput("a domain is 1 to 255 bytes");
  }
  std::string lowered = absl::AsciiStrToLower(ToAbsl(domain));
  for (char c : lowered) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') {
      return error::InvalidInput(absl::StrCat(
          "\"", ToAbsl(domain), "\" is not a domain name (letters, digits, '-', '.')"));
    }
  }
  return lowered;
}

RelayCore::RelayCore(Parts parts, const RelayOptions& options, WorkSink& work)
    : parts_(parts), options_(options), work_(work) {}

absl::StatusOr<EnqueueResult> RelayCore::Enqueue(const NewMessage& message) {
  absl::StatusOr<std::vector<absl::StatusOr<EnqueueResult>>> queued =
      EnqueueMany({message});
  if (!queued.ok()) return queued.status();
  return std::move(queued->front());
}

absl::StatusOr<std::vector<absl::StatusOr<EnqueueResult>>> RelayCore::EnqueueMany(
    const std::vector<NewMessage>& messages) {
  if (messages.empty() ||
      messages.size() > static_cast<size_t>(options_.max_batch_enqueues)) {
    return error::InvalidInput(absl::StrCat("a batch holds 1 to ",
                                            options_.max_batch_enqueues,
                                            " messages, not ", messages.size()));
  }
  std::vector<absl::StatusOr<EnqueueResult>> outcomes(messages.size(), EnqueueResult{});
  // Each valid message's destination, lower-cased; sized once, so the views
  // the items keep into it stay valid.
  std::vector<std::string> destinations(messages.size());
  std::vector<EnqueueItem> items;
  std::vector<size_t> queued_index;  // items[n] is messages[queued_index[n]]
  items.reserve(messages.size());
  queued_index.reserve(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    absl::StatusOr<std::string> destination = CheckOutbound(messages[i]);
    if (!destination.ok()) {
      outcomes[i] = destination.status();
      continue;
    }
    destinations[i] = *std::move(destination);
    EnqueueItem item{messages[i], false};
    item.message.dst_domain = destinations[i];
    items.push_back(item);
    queued_index.push_back(i);
  }
  if (items.empty()) return outcomes;
  // Workers of this relay free for a destination take its messages at once
  // (stored claimed), the others are left due for the dispatcher.
  for (EnqueueItem& item : items) item.claimed = work_.Reserve(item.message.dst_domain);

  absl::StatusOr<std::vector<EnqueueResult>> stored = parts_.queue.EnqueueMany(items);
  if (!stored.ok()) {
    for (size_t n = 0; n < items.size(); ++n) {
      outcomes[queued_index[n]] = stored.status();
      if (!items[n].claimed) continue;
      work_.Unreserve(items[n].message.dst_domain);
      // It may be queued all the same (a WAIT for replicas fell short): then
      // under a lease nobody works on; due now instead.
      (void)parts_.queue.Release(items[n].message.message_id);
      work_.Wake(items[n].message.dst_domain);
    }
    return outcomes;
  }
  std::set<std::string_view> to_wake;
  for (size_t n = 0; n < items.size(); ++n) {
    const EnqueueItem& item = items[n];
    EnqueueResult& queued = (*stored)[n];
    parts_.log.Info(queued.duplicate ? "queued already" : "queued",
                    {{"request_id", item.message.request_id},
                     {"message_id", item.message.message_id},
                     {"src_domain", item.message.src_domain},
                     {"dst_domain", item.message.dst_domain},
                     {"size_bytes", item.message.message.size()}});
    if (queued.duplicate) {
      if (item.claimed) work_.Unreserve(item.message.dst_domain);
    } else if (!item.claimed) {
      to_wake.insert(item.message.dst_domain);
    } else {
      work_.Hand(ClaimedAtEnqueue(item.message, queued));
      queued.handed_to_worker = true;
    }
    outcomes[queued_index[n]] = queued;
  }
  for (std::string_view domain : to_wake) work_.Wake(domain);
  return outcomes;
}

absl::StatusOr<std::string> RelayCore::CheckOutbound(const NewMessage& message) const {
  if (absl::Status valid = ValidateMessageId(message.message_id); !valid.ok()) {
    return valid;
  }
  absl::StatusOr<wire::MailMessage> parsed =
      wire::ParseMessage(message.message, QueueLimits());
  if (!parsed.ok()) {
    return error::InvalidInput(absl::StrCat("the message bytes are not a MAIL message: ",
                                            parsed.status().message()));
  }
  const wire::MailHeader& header = parsed->header;
  const std::string actual_id = wire::MessageId(*parsed);
  if (actual_id != message.message_id) {
    return Mismatch("message id", message.message_id, actual_id);
  }
  const std::pair<std::string_view, std::string_view> fields[] = {
      {message.dst_account, header.dst_account},
      {message.dst_domain, header.dst_domain},
      {message.src_account, header.src_account},
      {message.src_domain, header.src_domain}};
  const char* names[] = {"destination account", "destination domain", "source account",
                         "source domain"};
  for (size_t i = 0; i < std::size(fields); ++i) {
    if (fields[i].first != fields[i].second) {
      return Mismatch(names[i], fields[i].first, fields[i].second);
    }
  }
  absl::StatusOr<std::string> destination = NormalizeDomain(header.dst_domain);
  if (!destination.ok()) return destination.status();
  if (*destination == options_.domain) {
    return error::InvalidInput(
        absl::StrCat(*destination, " is our own domain: deliver it locally"));
  }
  if (absl::AsciiStrToLower(header.src_domain) != options_.domain) {
    // Failure notices go to the sender's mailbox here; and we are no open relay.
    return error::PermissionDenied(absl::StrCat("the sender's domain ", header.src_domain,
                                                " is not ours (", options_.domain, ")"));
  }
  return destination;
}

absl::StatusOr<FetchedKey> RelayCore::FetchKey(std::string_view domain,
                                               std::string_view account) {
  absl::StatusOr<std::string> normalized = NormalizeDomain(domain);
  if (!normalized.ok()) return normalized.status();
  if (*normalized == options_.domain) {
    return error::InvalidInput(
        absl::StrCat(*normalized, " is our own domain: its keys are the keyserver's"));
  }
  if (!account.empty()) {
    if (absl::Status valid = ValidateAccount(account); !valid.ok()) return valid;
  }
  return parts_.keys.Fetch(*normalized, account);
}

absl::StatusOr<QueueListing> RelayCore::ListQueue(std::string_view domain, size_t limit) {
  std::string normalized;
  if (!domain.empty()) {
    absl::StatusOr<std::string> valid = NormalizeDomain(domain);
    if (!valid.ok()) return valid.status();
    normalized = *std::move(valid);
  }
  if (limit == 0) limit = kDefaultListLimit;
  return parts_.queue.List(normalized, std::min(limit, kMaxListLimit));
}

absl::StatusOr<QueuedMessageInfo> RelayCore::GetQueued(std::string_view message_id) {
  if (absl::Status valid = ValidateMessageId(message_id); !valid.ok()) return valid;
  absl::StatusOr<std::optional<QueuedMessageInfo>> info = parts_.queue.Get(message_id);
  if (!info.ok()) return info.status();
  if (!info->has_value()) {
    return error::NotFound(absl::StrCat("no queued message ", ToAbsl(message_id)));
  }
  return **std::move(info);
}

absl::StatusOr<uint64_t> RelayCore::RetryNow(std::string_view message_id) {
  if (!message_id.empty()) {
    if (absl::Status valid = ValidateMessageId(message_id); !valid.ok()) return valid;
  }
  absl::StatusOr<uint64_t> rescheduled = parts_.queue.RetryNow(message_id);
  if (rescheduled.ok() && *rescheduled > 0) work_.Wake("");
  return rescheduled;
}

absl::Status RelayCore::Drop(std::string_view message_id, bool notify_sender) {
  if (absl::Status valid = ValidateMessageId(message_id); !valid.ok()) return valid;
  absl::Status not_queued =
      error::NotFound(absl::StrCat("no queued message ", ToAbsl(message_id)));
  if (!notify_sender) {
    absl::StatusOr<bool> removed = parts_.queue.Remove(message_id);
    if (!removed.ok()) return removed.status();
    return *removed ? absl::OkStatus() : not_queued;
  }
  absl::StatusOr<std::optional<QueuedMessage>> message = parts_.queue.Load(message_id);
  if (!message.ok()) return message.status();
  if (!message->has_value()) return not_queued;
  const QueuedMessageInfo& info = (*message)->info;
  std::string reason = info.bounce_reason;
  if (reason.empty()) {
    reason = "dropped from the queue by an operator";
    if (!info.last_error.empty())
      absl::StrAppend(&reason, "; last error: ", info.last_error);
  }
  return parts_.processor.GiveUp(**message, reason, info.attempts);
}

absl::StatusOr<std::vector<Pin>> RelayCore::ListPins() { return parts_.pins.List(); }

absl::Status RelayCore::Repin(std::string_view domain,
                              std::string_view server_public_key) {
  absl::StatusOr<std::string> normalized = NormalizeDomain(domain);
  if (!normalized.ok()) return normalized.status();
  absl::Status repinned = parts_.pins.Repin(*normalized, server_public_key);
  if (repinned.ok()) {
    if (server_public_key.empty()) {
      parts_.log.Warning("pin forgotten by an operator", {{"domain", *normalized}});
    } else {
      parts_.log.Warning("pinned by an operator",
                         {{"domain", *normalized},
                          {"server_public_key", crypto::ToHex(server_public_key)}});
    }
  }
  return repinned;
}

absl::StatusOr<RelayStatsView> RelayCore::Stats() {
  absl::StatusOr<StatsSnapshot> counters = parts_.stats.Read();
  if (!counters.ok()) return counters.status();
  absl::StatusOr<uint64_t> depth = parts_.queue.Depth();
  if (!depth.ok()) return depth.status();
  return RelayStatsView{*counters, *depth};
}

}  // namespace cmtp::relay
