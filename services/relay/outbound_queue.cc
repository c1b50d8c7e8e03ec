#include "services/relay/outbound_queue.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "services/relay/relay_keys.h"

namespace cmtp::relay {
namespace {

using redis::Reply;

// The metadata fields, in the order the claim and list scripts return them
// after the id (and, for the listing, the score).
constexpr absl::string_view kInfoFields =
    "'dst_domain', 'dst_account', 'src_account', 'src_domain', 'queued_ms', "
    "'attempts', 'request_id', 'size', 'last_error', 'bounce_reason'";
constexpr size_t kInfoFieldCount = 10;

// Lua: appends `f` (an HMGET of the fields above) to table `row`, nils as
// empty strings.
constexpr absl::string_view kAppendInfo =
    "for i = 1, 10 do row[#row + 1] = f[i] or '' end\n";

// Stores a message once.
//   KEYS: message hash, due set
//   ARGV: id, bytes, dst_account, dst_domain, src_account, src_domain,
//         request_id, now
//   -> {duplicate (0/1), queued_ms}
// Running it twice queues once, so it may be re-sent on a broken connection.
const redis::Script& EnqueueScript() {
  static const redis::Script script(R"lua(#!lua
local queued = redis.call('HGET', KEYS[1], 'queued_ms')
if queued then return {1, queued} end
redis.call('HSET', KEYS[1], 'message', ARGV[2], 'dst_account', ARGV[3],
  'dst_domain', ARGV[4], 'src_account', ARGV[5], 'src_domain', ARGV[6],
  'request_id', ARGV[7], 'queued_ms', ARGV[8], 'attempts', '0', 'last_error', '',
  'size', string.format('%d', string.len(ARGV[2])), 'lease_until', '0')
redis.call('ZADD', KEYS[2], ARGV[8], ARGV[1])
return {0, ARGV[8]}
)lua",
                                    redis::Retry::kSafe);
  return script;
}

// Claims due messages. Reads the hash of each candidate (named from the id,
// so not in KEYS: the relay's keys live on one Redis, not a cluster).
//   KEYS: due set
//   ARGV: now, lease end, max messages, scan limit, max per destination,
//         message key prefix, bytes limit, then pairs of domain, busy count
//   -> {{id, info fields..., '1' and the bytes, or '0' and ''}, ...}
// An id without its hash (removed between two steps by an older version) is
// dropped from the set.
const redis::Script& ClaimScript() {
  // Only a candidate's destination is read first: with one destination at
  // its cap and a long backlog, most candidates are skipped, and the whole
  // hash is read for those claimed only.
  static const redis::Script script(absl::StrCat(R"lua(
local wanted = tonumber(ARGV[3])
local cap = tonumber(ARGV[5])
local busy = {}
local bytes_limit = tonumber(ARGV[7])
for i = 8, #ARGV, 2 do busy[ARGV[i]] = tonumber(ARGV[i + 1]) end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0,
  tonumber(ARGV[4]))
local claimed = {}
for _, id in ipairs(due) do
  if #claimed >= wanted then break end
  local key = ARGV[6] .. id
  local domain = redis.call('HGET', key, 'dst_domain')
  if not domain then
    redis.call('ZREM', KEYS[1], id)
  else
    local n = busy[domain] or 0
    if n < cap then
      busy[domain] = n + 1
      redis.call('ZADD', KEYS[1], ARGV[2], id)
      redis.call('HSET', key, 'lease_until', ARGV[2])
      local f = redis.call('HMGET', key, )lua",
                                                 kInfoFields, R"lua()
      local row = {id}
)lua",
                                                 kAppendInfo, R"lua(
      if (tonumber(f[8]) or 0) <= bytes_limit and not f[10] then
        row[#row + 1] = '1'
        row[#row + 1] = redis.call('HGET', key, 'message') or ''
      else
        row[#row + 1] = '0'
        row[#row + 1] = ''
      end
      claimed[#claimed + 1] = row
    end
  end
end
return claimed
)lua"));
  return script;
}

// Lists queued messages in due order.
//   KEYS: due set
//   ARGV: domain (empty: all), limit, message key prefix
//   -> {{id, score, info fields...}, ...}
const redis::Script& ListScript() {
  static const redis::Script script(absl::StrCat(R"lua(
local limit = tonumber(ARGV[2])
local listed = {}
local all = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #all, 2 do
  if #listed >= limit then break end
  local f = redis.call('HMGET', ARGV[3] .. all[i], )lua",
                                                 kInfoFields, R"lua()
  if f[1] and (ARGV[1] == '' or f[1] == ARGV[1]) then
    local row = {all[i], all[i + 1]}
)lua",
                                                 kAppendInfo, R"lua(
    listed[#listed + 1] = row
  end
end
return listed
)lua"),
                                    redis::Retry::kSafe);
  return script;
}

// Removes a message; allowed when Redis is out of memory since it frees.
//   KEYS: message hash, due set   ARGV: id   -> 1 removed, 0 absent
const redis::Script& RemoveScript() {
  static const redis::Script script(R"lua(#!lua flags=allow-oom
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])
)lua");
  return script;
}

// Removes a message and counts it once.
//   KEYS: message hash, due set, counters hash
//   ARGV: id, then pairs of field, amount   -> 1 removed, 0 absent
const redis::Script& RemoveAndCountScript() {
  static const redis::Script script(R"lua(#!lua flags=allow-oom
redis.call('ZREM', KEYS[2], ARGV[1])
local removed = redis.call('DEL', KEYS[1])
if removed == 1 then
  for i = 2, #ARGV, 2 do redis.call('HINCRBY', KEYS[3], ARGV[i], ARGV[i + 1]) end
end
return removed
)lua");
  return script;
}

// After a failed attempt.
//   KEYS: message hash, due set
//   ARGV: id, attempts, last error, next attempt   -> 1, or 0 when absent
const redis::Script& RescheduleScript() {
  static const redis::Script script(R"lua(#!lua
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'attempts', ARGV[2], 'last_error', ARGV[3], 'lease_until', '0')
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
return 1
)lua",
                                    redis::Retry::kSafe);
  return script;
}

//   KEYS: message hash   ARGV: reason, attempts   -> 1, or 0 when absent
const redis::Script& MarkBouncingScript() {
  static const redis::Script script(R"lua(#!lua
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSETNX', KEYS[1], 'bounce_reason', ARGV[1])
redis.call('HSET', KEYS[1], 'attempts', ARGV[2], 'last_error', ARGV[1])
return 1
)lua",
                                    redis::Retry::kSafe);
  return script;
}

//   KEYS: message hash   ARGV: notice id, notice bytes
//   -> the id of the notice kept, or false (nil) when the message is gone
const redis::Script& SaveNoticeScript() {
  static const redis::Script script(R"lua(#!lua
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local kept = redis.call('HGET', KEYS[1], 'notice_id')
if kept then return kept end
redis.call('HSET', KEYS[1], 'notice_id', ARGV[1], 'notice', ARGV[2])
return ARGV[1]
)lua",
                                    redis::Retry::kSafe);
  return script;
}

//   KEYS: message hash, due set   ARGV: id, now   -> 1, or 0 when absent
const redis::Script& ReleaseScript() {
  static const redis::Script script(R"lua(#!lua
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'lease_until', '0')
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
)lua",
                                    redis::Retry::kSafe);
  return script;
}

// Extends the lease of a message that is still claimed; one whose lease was
// cleared (rescheduled, released) or that is gone is left alone.
//   KEYS: message hash, due set   ARGV: id, new lease end   -> 1, or 0
const redis::Script& RenewLeaseScript() {
  static const redis::Script script(R"lua(#!lua
local lease = redis.call('HGET', KEYS[1], 'lease_until')
if not lease or lease == '0' then return 0 end
redis.call('HSET', KEYS[1], 'lease_until', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
)lua",
                                    redis::Retry::kSafe);
  return script;
}

// Makes messages due now, leaving those under a lease (being delivered).
//   KEYS: due set
//   ARGV: now, message key prefix, id (empty: every message)
//   -> number rescheduled, or -1 for an id that is not queued
const redis::Script& RetryNowScript() {
  static const redis::Script script(R"lua(
local now = tonumber(ARGV[1])
local ids
if ARGV[3] == '' then
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')
else
  if not redis.call('ZSCORE', KEYS[1], ARGV[3]) then return -1 end
  ids = {ARGV[3]}
end
local count = 0
for _, id in ipairs(ids) do
  local lease = tonumber(redis.call('HGET', ARGV[2] .. id, 'lease_until') or '0')
  if lease <= now then
    redis.call('ZADD', KEYS[1], ARGV[1], id)
    count = count + 1
  end
end
return count
)lua",
                                    redis::Retry::kSafe);
  return script;
}

absl::Status UnexpectedReply(std::string_view what) {
  return error::Internal(
      absl::StrCat("relay queue: unexpected redis reply to ", ToAbsl(what)));
}

int64_t ToInt(std::string_view text) {
  int64_t value = 0;
  // Only the queue's own scripts write these fields, always as integers.
  if (!absl::SimpleAtoi(ToAbsl(text), &value)) return 0;
  return value;
}

// A Redis score: an integer number of ms, possibly rendered as a float.
int64_t ScoreToMs(std::string_view text) {
  double value = 0;
  if (!absl::SimpleAtod(ToAbsl(text), &value)) return 0;
  return static_cast<int64_t>(value);
}

bool IsStringArray(const Reply& reply, size_t size) {
  if (reply.type != Reply::Type::kArray || reply.elements.size() != size) return false;
  for (const Reply& element : reply.elements) {
    if (element.type != Reply::Type::kString) return false;
  }
  return true;
}

// The info fields starting at `first` of a claim or list row.
QueuedMessageInfo InfoFromRow(std::string id, const Reply& row, size_t first) {
  const std::vector<Reply>& f = row.elements;
  QueuedMessageInfo info;
  info.message_id = std::move(id);
  info.dst_domain = f[first].str;
  info.dst_account = f[first + 1].str;
  info.src_account = f[first + 2].str;
  info.src_domain = f[first + 3].str;
  info.queued_ms = ToInt(f[first + 4].str);
  info.attempts = static_cast<uint32_t>(ToInt(f[first + 5].str));
  info.request_id = f[first + 6].str;
  info.size = static_cast<uint64_t>(ToInt(f[first + 7].str));
  info.last_error = f[first + 8].str;
  info.bounce_reason = f[first + 9].str;
  return info;
}

// HGETALL's flat field/value array as a map.
absl::StatusOr<std::map<std::string, std::string>> FieldMap(Reply reply) {
  if (reply.type != Reply::Type::kArray || reply.elements.size() % 2 != 0) {
    return UnexpectedReply("HGETALL");
  }
  std::map<std::string, std::string> fields;
  for (size_t i = 0; i < reply.elements.size(); i += 2) {
    fields[std::move(reply.elements[i].str)] = std::move(reply.elements[i + 1].str);
  }
  return fields;
}

QueuedMessageInfo InfoFromFields(std::string_view id,
                                 std::map<std::string, std::string>& fields) {
  QueuedMessageInfo info;
  info.message_id = std::string(id);
  info.dst_account = std::move(fields["dst_account"]);
  info.dst_domain = std::move(fields["dst_domain"]);
  info.src_account = std::move(fields["src_account"]);
  info.src_domain = std::move(fields["src_domain"]);
  info.request_id = std::move(fields["request_id"]);
  info.size = static_cast<uint64_t>(ToInt(fields["size"]));
  info.queued_ms = ToInt(fields["queued_ms"]);
  info.attempts = static_cast<uint32_t>(ToInt(fields["attempts"]));
  info.last_error = std::move(fields["last_error"]);
  info.bounce_reason = std::move(fields["bounce_reason"]);
  return info;
}

absl::StatusOr<bool> FlagReply(const absl::StatusOr<Reply>& reply,
                               std::string_view what) {
  if (!reply.ok()) return reply.status();
  if (reply->type != Reply::Type::kInteger) return UnexpectedReply(what);
  return reply->integer == 1;
}

}  // namespace

OutboundQueue::OutboundQueue(redis::Client& redis, QueueOptions options,
                             std::function<int64_t()> now_unix_ms)
    : redis_(redis), options_(options), now_unix_ms_(std::move(now_unix_ms)) {
  if (!now_unix_ms_ || options_.lease_ms <= 0 || options_.wait_replicas < 0 ||
      (options_.wait_replicas > 0 && options_.wait_timeout_ms <= 0) ||
      options_.claim_scan_limit <= 0) {
    std::fprintf(stderr, "relay: invalid OutboundQueue options\n");
    std::abort();
  }
}

absl::StatusOr<EnqueueResult> OutboundQueue::Enqueue(const NewMessage& message) const {
  const std::string hash = keys::Message(message.message_id);
  const std::string now = std::to_string(now_unix_ms_());
  const std::vector<std::string_view> key_views = {hash, keys::kDue};
  const std::vector<std::string_view> args = {
      message.message_id,  message.message,    message.dst_account, message.dst_domain,
      message.src_account, message.src_domain, message.request_id,  now};

  Reply stored;
  if (options_.wait_replicas == 0) {
    absl::StatusOr<Reply> reply = EnqueueScript().Run(redis_, key_views, args);
    if (!reply.ok()) return reply.status();
    stored = *std::move(reply);
  } else {
    const std::string replicas = std::to_string(options_.wait_replicas);
    const std::string timeout = std::to_string(options_.wait_timeout_ms);
    absl::StatusOr<std::vector<Reply>> replies =
        EnqueueScript().RunThen(redis_, key_views, args, {{"WAIT", replicas, timeout}});
    if (!replies.ok()) return replies.status();
    const Reply& acknowledged = (*replies)[1];
    if (acknowledged.type != Reply::Type::kInteger) return UnexpectedReply("WAIT");
    if (acknowledged.integer < options_.wait_replicas) {
      return error::Unavailable(
          absl::StrCat("message queued, but only ", acknowledged.integer, " of ",
                       options_.wait_replicas, " replicas acknowledged it within ",
                       options_.wait_timeout_ms, " ms"));
    }
    stored = std::move((*replies)[0]);
  }
  if (stored.type != Reply::Type::kArray || stored.elements.size() != 2 ||
      stored.elements[0].type != Reply::Type::kInteger) {
    return UnexpectedReply("the enqueue script");
  }
  return EnqueueResult{stored.elements[0].integer == 1, ToInt(stored.elements[1].str)};
}

absl::StatusOr<std::vector<ClaimedMessage>> OutboundQueue::Claim(
    size_t max_messages, const std::map<std::string, int>& busy,
    int max_per_destination) const {
  if (max_messages == 0) return std::vector<ClaimedMessage>();
  const int64_t now = now_unix_ms_();
  const std::string now_text = std::to_string(now);
  const std::string lease_end = std::to_string(now + options_.lease_ms);
  const std::string wanted = std::to_string(max_messages);
  const std::string scan = std::to_string(options_.claim_scan_limit);
  const std::string cap = std::to_string(max_per_destination);
  const std::string bytes_limit = std::to_string(options_.claim_bytes_limit);
  std::vector<std::string> counts;
  counts.reserve(busy.size());
  for (const auto& [domain, count] : busy) counts.push_back(std::to_string(count));
  std::vector<std::string_view> args = {
      now_text, lease_end, wanted, scan, cap, keys::kMessagePrefix, bytes_limit};
  size_t index = 0;
  for (const auto& [domain, count] : busy) {
    args.push_back(domain);
    args.push_back(counts[index++]);
  }
  absl::StatusOr<Reply> reply = ClaimScript().Run(redis_, {keys::kDue}, args);
  if (!reply.ok()) return reply.status();
  if (reply->type != Reply::Type::kArray) return UnexpectedReply("the claim script");
  std::vector<ClaimedMessage> claimed;
  claimed.reserve(reply->elements.size());
  for (Reply& row : reply->elements) {
    if (!IsStringArray(row, 3 + kInfoFieldCount)) {
      return UnexpectedReply("the claim script");
    }
    ClaimedMessage message;
    message.info = InfoFromRow(row.elements[0].str, row, 1);
    message.info.next_attempt_ms = now + options_.lease_ms;
    if (row.elements[1 + kInfoFieldCount].str == "1") {
      message.message = std::move(row.elements[2 + kInfoFieldCount].str);
    }
    claimed.push_back(std::move(message));
  }
  return claimed;
}

absl::StatusOr<std::optional<QueuedMessage>> OutboundQueue::Load(
    std::string_view message_id) const {
  const std::string hash = keys::Message(message_id);
  absl::StatusOr<std::vector<Reply>> replies =
      redis_.Pipeline({{"HGETALL", hash}, {"ZSCORE", keys::kDue, message_id}});
  if (!replies.ok()) return replies.status();
  absl::StatusOr<std::map<std::string, std::string>> fields =
      FieldMap(std::move((*replies)[0]));
  if (!fields.ok()) return fields.status();
  if (fields->empty()) return std::nullopt;
  QueuedMessage loaded;
  loaded.message = std::move((*fields)["message"]);
  loaded.notice_id = std::move((*fields)["notice_id"]);
  loaded.notice = std::move((*fields)["notice"]);
  loaded.info = InfoFromFields(message_id, *fields);
  loaded.info.next_attempt_ms = ScoreToMs((*replies)[1].str);
  return loaded;
}

absl::StatusOr<std::optional<QueuedMessageInfo>> OutboundQueue::Get(
    std::string_view message_id) const {
  const std::string hash = keys::Message(message_id);
  absl::StatusOr<std::vector<Reply>> replies = redis_.Pipeline(
      {{"HMGET", hash, "dst_domain", "dst_account", "src_account", "src_domain",
        "queued_ms", "attempts", "request_id", "size", "last_error", "bounce_reason"},
       {"ZSCORE", keys::kDue, message_id}});
  if (!replies.ok()) return replies.status();
  Reply& row = (*replies)[0];
  if (row.type != Reply::Type::kArray || row.elements.size() != kInfoFieldCount) {
    return UnexpectedReply("HMGET");
  }
  if (row.elements[0].is_nil()) return std::nullopt;
  QueuedMessageInfo info = InfoFromRow(std::string(message_id), row, 0);
  info.next_attempt_ms = ScoreToMs((*replies)[1].str);
  return info;
}

absl::StatusOr<QueueListing> OutboundQueue::List(std::string_view domain,
                                                 size_t limit) const {
  const std::string limit_text = std::to_string(limit);
  absl::StatusOr<Reply> reply =
      ListScript().Run(redis_, {keys::kDue}, {domain, limit_text, keys::kMessagePrefix});
  if (!reply.ok()) return reply.status();
  if (reply->type != Reply::Type::kArray) return UnexpectedReply("the list script");
  QueueListing listing;
  for (const Reply& row : reply->elements) {
    if (!IsStringArray(row, 2 + kInfoFieldCount)) {
      return UnexpectedReply("the list script");
    }
    QueuedMessageInfo info = InfoFromRow(row.elements[0].str, row, 2);
    info.next_attempt_ms = ScoreToMs(row.elements[1].str);
    listing.messages.push_back(std::move(info));
  }
  absl::StatusOr<uint64_t> depth = Depth();
  if (!depth.ok()) return depth.status();
  listing.depth = *depth;
  return listing;
}

absl::StatusOr<uint64_t> OutboundQueue::Depth() const {
  absl::StatusOr<Reply> reply = redis_.Command({"ZCARD", keys::kDue});
  if (!reply.ok()) return reply.status();
  if (reply->type != Reply::Type::kInteger) return UnexpectedReply("ZCARD");
  return static_cast<uint64_t>(reply->integer);
}

absl::StatusOr<bool> OutboundQueue::Remove(std::string_view message_id) const {
  const std::string hash = keys::Message(message_id);
  return FlagReply(RemoveScript().Run(redis_, {hash, keys::kDue}, {message_id}),
                   "the remove script");
}

absl::StatusOr<bool> OutboundQueue::RemoveAndCount(
    std::string_view message_id, std::string_view counters_key,
    const std::vector<CounterIncrement>& increments) const {
  const std::string hash = keys::Message(message_id);
  std::vector<std::string> amounts;
  amounts.reserve(increments.size());
  for (const CounterIncrement& increment : increments) {
    amounts.push_back(std::to_string(increment.amount));
  }
  std::vector<std::string_view> args = {message_id};
  for (size_t i = 0; i < increments.size(); ++i) {
    args.push_back(increments[i].field);
    args.push_back(amounts[i]);
  }
  return FlagReply(
      RemoveAndCountScript().Run(redis_, {hash, keys::kDue, counters_key}, args),
      "the remove script");
}

absl::StatusOr<bool> OutboundQueue::Reschedule(std::string_view message_id,
                                               uint32_t attempts,
                                               std::string_view last_error,
                                               int64_t next_attempt_ms) const {
  const std::string hash = keys::Message(message_id);
  const std::string attempts_text = std::to_string(attempts);
  const std::string next = std::to_string(next_attempt_ms);
  return FlagReply(RescheduleScript().Run(redis_, {hash, keys::kDue},
                                          {message_id, attempts_text, last_error, next}),
                   "the reschedule script");
}

absl::StatusOr<bool> OutboundQueue::MarkBouncing(std::string_view message_id,
                                                 std::string_view reason,
                                                 uint32_t attempts) const {
  const std::string hash = keys::Message(message_id);
  const std::string attempts_text = std::to_string(attempts);
  return FlagReply(MarkBouncingScript().Run(redis_, {hash}, {reason, attempts_text}),
                   "the mark-bouncing script");
}

absl::StatusOr<std::optional<std::string>> OutboundQueue::SaveNotice(
    std::string_view message_id, std::string_view notice_id,
    std::string_view notice) const {
  const std::string hash = keys::Message(message_id);
  absl::StatusOr<Reply> reply =
      SaveNoticeScript().Run(redis_, {hash}, {notice_id, notice});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::nullopt;
  if (reply->type != Reply::Type::kString) return UnexpectedReply("the notice script");
  return std::move(reply->str);
}

absl::StatusOr<bool> OutboundQueue::Release(std::string_view message_id) const {
  const std::string hash = keys::Message(message_id);
  const std::string now = std::to_string(now_unix_ms_());
  return FlagReply(ReleaseScript().Run(redis_, {hash, keys::kDue}, {message_id, now}),
                   "the release script");
}

absl::StatusOr<std::optional<int64_t>> OutboundQueue::RenewLease(
    std::string_view message_id) const {
  const std::string hash = keys::Message(message_id);
  const int64_t lease_end = now_unix_ms_() + options_.lease_ms;
  const std::string lease_end_text = std::to_string(lease_end);
  absl::StatusOr<bool> renewed = FlagReply(
      RenewLeaseScript().Run(redis_, {hash, keys::kDue}, {message_id, lease_end_text}),
      "the lease script");
  if (!renewed.ok()) return renewed.status();
  if (!*renewed) return std::nullopt;
  return lease_end;
}

absl::StatusOr<uint64_t> OutboundQueue::RetryNow(std::string_view message_id) const {
  const std::string now = std::to_string(now_unix_ms_());
  absl::StatusOr<Reply> reply =
      RetryNowScript().Run(redis_, {keys::kDue}, {now, keys::kMessagePrefix, message_id});
  if (!reply.ok()) return reply.status();
  if (reply->type != Reply::Type::kInteger) return UnexpectedReply("the retry script");
  if (reply->integer < 0) {
    return error::NotFound(absl::StrCat("no queued message ", ToAbsl(message_id)));
  }
  return static_cast<uint64_t>(reply->integer);
}

}  // namespace cmtp::relay
