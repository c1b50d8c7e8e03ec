#include "services/relay/outbound_queue.h"

#include <cstdio>
#include <cstdlib>
#include <deque>
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

// Lua: the due set and its index by destination (relay_keys.h), kept in step
// by every script that changes a score. `set_due` and `unset_due` take the
// message's destination (false when its hash is gone: the index is then left
// to the next rebuild); every script that calls them ends with
// `finish_index()`, which reorders each destination they touched and adjusts
// the count of indexed ids once, however many messages the script changed.
std::string DueIndexLua() {
  return absl::StrCat("local DUE = '", ToAbsl(keys::kDue), "'\nlocal DESTS = '",
                      ToAbsl(keys::kDueDestinations), "'\nlocal DEST_PREFIX = '",
                      ToAbsl(keys::kDestinationDuePrefix), "'\nlocal INDEXED = '",
                      ToAbsl(keys::kDueIndexed), "'\nlocal MESSAGE_PREFIX = '",
                      ToAbsl(keys::kMessagePrefix), "'\n", R"lua(
local function reorder(domain)
  local first = redis.call('ZRANGE', DEST_PREFIX .. domain, 0, 0, 'WITHSCORES')
  if first[1] then
    redis.call('ZADD', DESTS, first[2], domain)
  else
    redis.call('ZREM', DESTS, domain)
  end
end
local touched = {}
local indexed_change = 0
local function set_due(id, domain, score)
  redis.call('ZADD', DUE, score, id)
  if not domain then return end
  indexed_change = indexed_change + redis.call('ZADD', DEST_PREFIX .. domain, score, id)
  touched[domain] = true
end
local function unset_due(id, domain)
  redis.call('ZREM', DUE, id)
  if not domain then return end
  indexed_change = indexed_change - redis.call('ZREM', DEST_PREFIX .. domain, id)
  touched[domain] = true
end
local function finish_index()
  if indexed_change ~= 0 then redis.call('INCRBY', INDEXED, indexed_change) end
  indexed_change = 0
  for domain in pairs(touched) do reorder(domain) end
  touched = {}
end
)lua");
}

// A script with the index functions: `shebang` (may be empty) stays first.
std::string WithDueIndex(absl::string_view shebang, absl::string_view body) {
  return absl::StrCat(shebang, shebang.empty() ? "" : "\n", DueIndexLua(), body);
}

// Stores messages once each.
//   KEYS: per message: its hash
//   ARGV: per message, 10 values: id, bytes, dst_account, dst_domain,
//         src_account, src_domain, request_id, now, score (now, or the end of
//         a lease), lease end ('0' when not claimed)
//   -> per message: {duplicate (0/1), queued_ms}
// Running it twice queues each message once, so it may be re-sent on a broken
// connection.
constexpr size_t kEnqueueArgs = 10;
const redis::Script& EnqueueScript() {
  static const redis::Script script(WithDueIndex("#!lua", R"lua(
local results = {}
for m = 1, #KEYS do
  local a = (m - 1) * 10
  local queued = redis.call('HGET', KEYS[m], 'queued_ms')
  if queued then
    results[m] = {1, queued}
  else
    redis.call('HSET', KEYS[m], 'message', ARGV[a + 2], 'dst_account', ARGV[a + 3],
      'dst_domain', ARGV[a + 4], 'src_account', ARGV[a + 5], 'src_domain', ARGV[a + 6],
      'request_id', ARGV[a + 7], 'queued_ms', ARGV[a + 8], 'attempts', '0',
      'last_error', '', 'size', string.format('%d', string.len(ARGV[a + 2])),
      'lease_until', ARGV[a + 10])
    set_due(ARGV[a + 1], ARGV[a + 4], ARGV[a + 9])
    results[m] = {0, ARGV[a + 8]}
  end
end
finish_index()
return results
)lua"),
                                    redis::Retry::kSafe);
  return script;
}

// Claims due messages: destinations in the order of their earliest due
// message, and from each with room (below `max per destination` with `busy`
// counted) its oldest due messages. Reads the hashes of the messages claimed
// (named from the id, so not in KEYS: the relay's keys live on one Redis, not
// a cluster). Rebuilds the index by destination first when it does not
// account for every id of the due set.
//   ARGV: now, lease end, max messages, destinations to look at, max per
//         destination, message key prefix, bytes limit, then pairs of domain,
//         busy count
//   -> {{id, info fields..., '1' and the bytes, or '0' and ''}, ...}
// An id without its hash (removed between two steps by an older version) is
// dropped from the sets.
const redis::Script& ClaimScript() {
  static const redis::Script script(WithDueIndex("", absl::StrCat(R"lua(
local now = ARGV[1]
local lease_end = ARGV[2]
local wanted = tonumber(ARGV[3])
local cap = tonumber(ARGV[5])
local prefix = ARGV[6]
local bytes_limit = tonumber(ARGV[7])
local busy = {}
for i = 8, #ARGV, 2 do busy[ARGV[i]] = tonumber(ARGV[i + 1]) end
if tonumber(redis.call('GET', INDEXED) or '0') ~= redis.call('ZCARD', DUE) then
  for _, domain in ipairs(redis.call('ZRANGE', DESTS, 0, -1)) do
    redis.call('DEL', DEST_PREFIX .. domain)
  end
  redis.call('DEL', DESTS)
  local all = redis.call('ZRANGE', DUE, 0, -1, 'WITHSCORES')
  local indexed = 0
  local touched = {}
  for i = 1, #all, 2 do
    local domain = redis.call('HGET', prefix .. all[i], 'dst_domain')
    if domain then
      redis.call('ZADD', DEST_PREFIX .. domain, all[i + 1], all[i])
      indexed = indexed + 1
      touched[domain] = true
    else
      redis.call('ZREM', DUE, all[i])
    end
  end
  for domain in pairs(touched) do reorder(domain) end
  redis.call('SET', INDEXED, indexed)
end
local claimed = {}
local destinations = redis.call('ZRANGEBYSCORE', DESTS, '-inf', now, 'LIMIT', 0,
  tonumber(ARGV[4]))
for _, domain in ipairs(destinations) do
  if #claimed >= wanted then break end
  local room = math.min(cap - (busy[domain] or 0), wanted - #claimed)
  if room > 0 then
    local set = DEST_PREFIX .. domain
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', set, '-inf', now, 'LIMIT', 0, room)) do
      local key = prefix .. id
      local f = redis.call('HMGET', key, )lua",
                                                                  kInfoFields, R"lua()
      if not f[1] then
        unset_due(id, domain)
      else
        redis.call('ZADD', DUE, lease_end, id)
        redis.call('ZADD', set, lease_end, id)
        redis.call('HSET', key, 'lease_until', lease_end)
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
    reorder(domain)
  end
end
finish_index()
return claimed
)lua")));
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
//   KEYS: message hash   ARGV: id   -> 1 removed, 0 absent
const redis::Script& RemoveScript() {
  static const redis::Script script(WithDueIndex("#!lua flags=allow-oom", R"lua(
unset_due(ARGV[1], redis.call('HGET', KEYS[1], 'dst_domain'))
local gone = redis.call('DEL', KEYS[1])
finish_index()
return gone
)lua"));
  return script;
}

// Removes messages, counting each once (only when this call removed it).
//   KEYS: counters hash
//   ARGV: per message: id, n, then n pairs of field, amount
//   -> per message: 1 removed, 0 absent
const redis::Script& RemoveAndCountScript() {
  static const redis::Script script(WithDueIndex("#!lua flags=allow-oom", R"lua(
local removed = {}
local sums = {}
local fields = {}
local i = 1
while i <= #ARGV do
  local id = ARGV[i]
  local n = tonumber(ARGV[i + 1])
  local key = MESSAGE_PREFIX .. id
  unset_due(id, redis.call('HGET', key, 'dst_domain'))
  local gone = redis.call('DEL', key)
  if gone == 1 then
    for j = i + 2, i + 2 * n, 2 do
      local field = ARGV[j]
      if not sums[field] then
        sums[field] = 0
        fields[#fields + 1] = field
      end
      sums[field] = sums[field] + tonumber(ARGV[j + 1])
    end
  end
  removed[#removed + 1] = gone
  i = i + 2 + 2 * n
end
finish_index()
for _, field in ipairs(fields) do
  redis.call('HINCRBY', KEYS[1], field, string.format('%d', sums[field]))
end
return removed
)lua"));
  return script;
}

// After a failed attempt.
//   KEYS: message hash
//   ARGV: id, attempts, last error, next attempt   -> 1, or 0 when absent
const redis::Script& RescheduleScript() {
  static const redis::Script script(WithDueIndex("#!lua", R"lua(
local domain = redis.call('HGET', KEYS[1], 'dst_domain')
if not domain then return 0 end
redis.call('HSET', KEYS[1], 'attempts', ARGV[2], 'last_error', ARGV[3], 'lease_until', '0')
set_due(ARGV[1], domain, ARGV[4])
finish_index()
return 1
)lua"),
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

//   KEYS: message hash   ARGV: id, now   -> 1, or 0 when absent
const redis::Script& ReleaseScript() {
  static const redis::Script script(WithDueIndex("#!lua", R"lua(
local domain = redis.call('HGET', KEYS[1], 'dst_domain')
if not domain then return 0 end
redis.call('HSET', KEYS[1], 'lease_until', '0')
set_due(ARGV[1], domain, ARGV[2])
finish_index()
return 1
)lua"),
                                    redis::Retry::kSafe);
  return script;
}

// Extends the lease of a message that is still claimed; one whose lease was
// cleared (rescheduled, released) or that is gone is left alone.
//   KEYS: message hash   ARGV: id, new lease end   -> 1, or 0
const redis::Script& RenewLeaseScript() {
  static const redis::Script script(WithDueIndex("#!lua", R"lua(
local f = redis.call('HMGET', KEYS[1], 'lease_until', 'dst_domain')
if not f[1] or f[1] == '0' then return 0 end
redis.call('HSET', KEYS[1], 'lease_until', ARGV[2])
set_due(ARGV[1], f[2], ARGV[2])
finish_index()
return 1
)lua"),
                                    redis::Retry::kSafe);
  return script;
}

// Makes messages due now, leaving those under a lease (being delivered).
//   ARGV: now, message key prefix, id (empty: every message)
//   -> number rescheduled, or -1 for an id that is not queued
const redis::Script& RetryNowScript() {
  static const redis::Script script(WithDueIndex("", R"lua(
local now = tonumber(ARGV[1])
local ids
if ARGV[3] == '' then
  ids = redis.call('ZRANGEBYSCORE', DUE, '(' .. ARGV[1], '+inf')
else
  if not redis.call('ZSCORE', DUE, ARGV[3]) then return -1 end
  ids = {ARGV[3]}
end
local count = 0
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', ARGV[2] .. id, 'lease_until', 'dst_domain')
  if (tonumber(f[1] or '0') or 0) <= now then
    set_due(id, f[2], ARGV[1])
    count = count + 1
  end
end
finish_index()
return count
)lua"),
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

absl::StatusOr<EnqueueResult> OutboundQueue::Enqueue(const NewMessage& message,
                                                     bool claimed) const {
  absl::StatusOr<std::vector<EnqueueResult>> queued =
      EnqueueMany({EnqueueItem{message, claimed}});
  if (!queued.ok()) return queued.status();
  return queued->front();
}

absl::StatusOr<std::vector<EnqueueResult>> OutboundQueue::EnqueueMany(
    const std::vector<EnqueueItem>& items) const {
  if (items.empty()) return error::Internal("relay queue: an empty batch to enqueue");
  const int64_t now_ms = now_unix_ms_();
  const int64_t lease_end_ms = now_ms + options_.lease_ms;
  const std::string now = std::to_string(now_ms);
  const std::string lease_end = std::to_string(lease_end_ms);
  static const std::string kNotClaimed = "0";
  // The hashes' names; a deque never moves its elements, so the views stay valid.
  std::deque<std::string> hashes;
  std::vector<std::string_view> key_views;
  std::vector<std::string_view> args;
  key_views.reserve(items.size());
  args.reserve(items.size() * kEnqueueArgs);
  for (const EnqueueItem& item : items) {
    const NewMessage& message = item.message;
    key_views.push_back(hashes.emplace_back(keys::Message(message.message_id)));
    args.insert(args.end(), {message.message_id, message.message, message.dst_account,
                             message.dst_domain, message.src_account, message.src_domain,
                             message.request_id, now, item.claimed ? lease_end : now,
                             item.claimed ? lease_end : kNotClaimed});
  }

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
          absl::StrCat(items.size() == 1 ? "message" : "messages", " queued, but only ",
                       acknowledged.integer, " of ", options_.wait_replicas,
                       " replicas acknowledged ", items.size() == 1 ? "it" : "them",
                       " within ", options_.wait_timeout_ms, " ms"));
    }
    stored = std::move((*replies)[0]);
  }
  if (stored.type != Reply::Type::kArray || stored.elements.size() != items.size()) {
    return UnexpectedReply("the enqueue script");
  }
  std::vector<EnqueueResult> results;
  results.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const Reply& one = stored.elements[i];
    if (one.type != Reply::Type::kArray || one.elements.size() != 2 ||
        one.elements[0].type != Reply::Type::kInteger) {
      return UnexpectedReply("the enqueue script");
    }
    const bool duplicate = one.elements[0].integer == 1;
    results.push_back(EnqueueResult{duplicate, ToInt(one.elements[1].str),
                                    duplicate || !items[i].claimed ? 0 : lease_end_ms});
  }
  return results;
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
  absl::StatusOr<Reply> reply = ClaimScript().Run(redis_, {}, args);
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
  return FlagReply(RemoveScript().Run(redis_, {hash}, {message_id}), "the remove script");
}

absl::StatusOr<std::vector<bool>> OutboundQueue::RemoveAndCount(
    const std::vector<Removal>& removals, std::string_view counters_key) const {
  if (removals.empty()) return std::vector<bool>();
  std::deque<std::string> numbers;  // counts and amounts; a deque keeps the views valid
  std::vector<std::string_view> args;
  for (const Removal& removal : removals) {
    args.push_back(removal.message_id);
    args.push_back(numbers.emplace_back(std::to_string(removal.increments.size())));
    for (const CounterIncrement& increment : removal.increments) {
      args.push_back(increment.field);
      args.push_back(numbers.emplace_back(std::to_string(increment.amount)));
    }
  }
  absl::StatusOr<Reply> reply = RemoveAndCountScript().Run(redis_, {counters_key}, args);
  if (!reply.ok()) return reply.status();
  if (reply->type != Reply::Type::kArray || reply->elements.size() != removals.size()) {
    return UnexpectedReply("the remove script");
  }
  std::vector<bool> removed;
  removed.reserve(removals.size());
  for (const Reply& one : reply->elements) {
    if (one.type != Reply::Type::kInteger) return UnexpectedReply("the remove script");
    removed.push_back(one.integer == 1);
  }
  return removed;
}

absl::StatusOr<bool> OutboundQueue::Reschedule(std::string_view message_id,
                                               uint32_t attempts,
                                               std::string_view last_error,
                                               int64_t next_attempt_ms) const {
  const std::string hash = keys::Message(message_id);
  const std::string attempts_text = std::to_string(attempts);
  const std::string next = std::to_string(next_attempt_ms);
  return FlagReply(RescheduleScript().Run(redis_, {hash},
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
  return FlagReply(ReleaseScript().Run(redis_, {hash}, {message_id, now}),
                   "the release script");
}

absl::StatusOr<std::optional<int64_t>> OutboundQueue::RenewLease(
    std::string_view message_id) const {
  const std::string hash = keys::Message(message_id);
  const int64_t lease_end = now_unix_ms_() + options_.lease_ms;
  const std::string lease_end_text = std::to_string(lease_end);
  absl::StatusOr<bool> renewed =
      FlagReply(RenewLeaseScript().Run(redis_, {hash}, {message_id, lease_end_text}),
                "the lease script");
  if (!renewed.ok()) return renewed.status();
  if (!*renewed) return std::nullopt;
  return lease_end;
}

absl::StatusOr<uint64_t> OutboundQueue::RetryNow(std::string_view message_id) const {
  const std::string now = std::to_string(now_unix_ms_());
  absl::StatusOr<Reply> reply =
      RetryNowScript().Run(redis_, {}, {now, keys::kMessagePrefix, message_id});
  if (!reply.ok()) return reply.status();
  if (reply->type != Reply::Type::kInteger) return UnexpectedReply("the retry script");
  if (reply->integer < 0) {
    return error::NotFound(absl::StrCat("no queued message ", ToAbsl(message_id)));
  }
  return static_cast<uint64_t>(reply->integer);
}

}  // namespace cmtp::relay
