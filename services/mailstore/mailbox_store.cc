#include "services/mailstore/mailbox_store.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "services/mailstore/mailbox_keys.h"
#include "services/mailstore/validation.h"

namespace cmtp::mailstore {
namespace {

// Stores messages, all of them or none. Every write is on a key declared in
// KEYS. The "#!lua" shebang makes Redis check for out-of-memory before the
// script starts, so a full Redis refuses the whole put instead of failing
// half-way through it. The meta hash field and the blob are written together,
// so finding the field is finding the blob.
//   per message, in order: KEYS blob, index, meta, seq, mailboxes;
//                          ARGV message id, blob, packed metadata after the
//                          sequence, mailbox name
//   → per message {duplicate (0/1), packed metadata}
// Running it twice stores once (the second run answers "duplicate"), so it
// may be re-sent after a broken connection.
const redis::Script& PutScript() {
  static const redis::Script script(R"lua(#!lua
local results = {}
for i = 0, #ARGV / 4 - 1 do
  local k, a = i * 5, i * 4
  local existing = redis.call('HGET', KEYS[k + 3], ARGV[a + 1])
  if existing then
    results[i + 1] = {1, existing}
  else
    local sequence = string.format('%d', redis.call('INCR', KEYS[k + 4]))
    local meta = sequence .. '\0' .. ARGV[a + 3]
    redis.call('SET', KEYS[k + 1], ARGV[a + 2])
    redis.call('ZADD', KEYS[k + 2], sequence, ARGV[a + 1])
    redis.call('HSET', KEYS[k + 3], ARGV[a + 1], meta)
    redis.call('SADD', KEYS[k + 5], ARGV[a + 4])
    results[i + 1] = {0, meta}
  end
end
return results
)lua",
                                    redis::Retry::kSafe);
  return script;
}

// Removes one message, all or nothing; allowed when Redis is out of memory
// since it only frees. Not re-sent after a broken connection: a second run
// would answer 0 (not found) for a message the first run deleted.
//   KEYS: blob, index, meta   ARGV: message id   → 1 deleted, 0 absent
const redis::Script& DeleteScript() {
  static const redis::Script script(R"lua(#!lua flags=allow-oom
if redis.call('HDEL', KEYS[3], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
return 1
)lua");
  return script;
}

// Mailboxes whose counts one pipeline asks for in Stats of every mailbox.
constexpr size_t kStatsBatch = 256;

absl::Status UnexpectedReply(std::string_view what) {
  return error::Internal(
      absl::StrCat("mailstore: unexpected redis reply to ", ToAbsl(what)));
}

absl::StatusOr<PutResult> ParsePutReply(std::string_view message_id,
                                        const redis::Reply& reply) {
  if (reply.type != redis::Reply::Type::kArray || reply.elements.size() != 2 ||
      reply.elements[0].type != redis::Reply::Type::kInteger ||
      reply.elements[1].type != redis::Reply::Type::kString) {
    return UnexpectedReply("the put script");
  }
  absl::StatusOr<MessageMeta> meta = UnpackMeta(message_id, reply.elements[1].str);
  if (!meta.ok()) return meta.status();
  return PutResult{*std::move(meta), reply.elements[0].integer == 1};
}

// The first thing wrong with one put, in the order Put always checked them.
absl::Status ValidatePut(const PutItem& item, int64_t max_blob_bytes) {
  for (absl::Status status :
       {ValidateMailbox(item.mailbox), ValidateMessageId(item.message_id),
        ValidateBlob(item.blob, max_blob_bytes),
        ValidateSenderField("source account", item.src_account),
        ValidateSenderField("source domain", item.src_domain)}) {
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status MessageNotFound(std::string_view mailbox, std::string_view message_id) {
  return error::NotFound(
      absl::StrCat("no message ", ToAbsl(message_id), " in mailbox ", ToAbsl(mailbox)));
}

// Counts of one mailbox from the HVALS of its meta hash.
absl::StatusOr<MailboxStats> StatsFromValues(std::string_view mailbox,
                                             const redis::Reply& values) {
  if (values.type != redis::Reply::Type::kArray) return UnexpectedReply("HVALS");
  MailboxStats stats;
  stats.mailbox = std::string(mailbox);
  for (const redis::Reply& value : values.elements) {
    absl::StatusOr<MessageMeta> meta = UnpackMeta("(counted in stats)", value.str);
    if (!meta.ok()) {
      return error::Internal(
          absl::StrCat("mailstore: corrupt metadata in mailbox ", ToAbsl(mailbox)));
    }
    ++stats.messages;
    stats.bytes += meta->size;
  }
  return stats;
}

}  // namespace

absl::Status ValidateOptions(const MailboxStoreOptions& options) {
  if (options.max_blob_bytes <= 0) {
    return error::InvalidInput("the blob size limit must be positive");
  }
  if (options.wait_replicas < 0) {
    return error::InvalidInput("the replica count to wait for must not be negative");
  }
  if (options.wait_replicas > 0 && options.wait_timeout_ms <= 0) {
    return error::InvalidInput("the replica wait timeout must be positive");
  }
  if (options.max_batch_puts <= 0) {
    return error::InvalidInput("the batch size limit must be positive");
  }
  return absl::OkStatus();
}

MailboxStore::MailboxStore(redis::Client& redis, MailboxStoreOptions options,
                           std::function<int64_t()> now_unix_ms)
    : redis_(redis), options_(std::move(options)), now_unix_ms_(std::move(now_unix_ms)) {
  absl::Status valid = ValidateOptions(options_);
  if (!valid.ok() || !now_unix_ms_) {
    std::fprintf(stderr, "mailstore: invalid MailboxStore options: %s\n",
                 valid.ok() ? "no clock" : std::string(valid.message()).c_str());
    std::abort();
  }
}

absl::StatusOr<PutResult> MailboxStore::Put(std::string_view mailbox,
                                            std::string_view message_id,
                                            std::string_view blob,
                                            std::string_view src_account,
                                            std::string_view src_domain) const {
  absl::StatusOr<std::vector<absl::StatusOr<PutResult>>> outcomes =
      PutMany({{mailbox, message_id, blob, src_account, src_domain}});
  if (!outcomes.ok()) return outcomes.status();
  return std::move(outcomes->front());
}

absl::StatusOr<std::vector<absl::StatusOr<PutResult>>> MailboxStore::PutMany(
    const std::vector<PutItem>& items) const {
  if (items.empty() || items.size() > static_cast<size_t>(options_.max_batch_puts)) {
    return error::InvalidInput(absl::StrCat(
        "a batch holds 1 to ", options_.max_batch_puts, " puts, not ", items.size()));
  }
  std::vector<absl::StatusOr<PutResult>> outcomes(items.size(),
                                                  absl::StatusOr<PutResult>(PutResult{}));
  // What the script reads, for the valid items; the strings the views point
  // into live in a deque, which never moves its elements.
  std::deque<std::string> owned;
  std::vector<std::string_view> keys;
  std::vector<std::string_view> args;
  std::vector<size_t> stored;  // indexes of the items sent to Redis
  keys.reserve(items.size() * 5);
  args.reserve(items.size() * 4);
  for (size_t i = 0; i < items.size(); ++i) {
    const PutItem& item = items[i];
    if (absl::Status valid = ValidatePut(item, options_.max_blob_bytes); !valid.ok()) {
      outcomes[i] = std::move(valid);
      continue;
    }
    MailboxKeys mailbox_keys(item.mailbox);
    const std::string& blob_key = owned.emplace_back(mailbox_keys.Blob(item.message_id));
    const std::string& index_key = owned.emplace_back(std::move(mailbox_keys.index));
    const std::string& meta_key = owned.emplace_back(std::move(mailbox_keys.meta));
    const std::string& seq_key = owned.emplace_back(std::move(mailbox_keys.seq));
    const std::string& meta_after_sequence = owned.emplace_back(PackMetaAfterSequence(
        item.blob.size(), now_unix_ms_(), item.src_account, item.src_domain));
    keys.insert(keys.end(), {blob_key, index_key, meta_key, seq_key, kMailboxesKey});
    args.insert(args.end(),
                {item.message_id, item.blob, meta_after_sequence, item.mailbox});
    stored.push_back(i);
  }
  if (stored.empty()) return outcomes;

  absl::StatusOr<redis::Reply> reply = absl::InternalError("not run");
  absl::Status replicated = absl::OkStatus();
  if (options_.wait_replicas == 0) {
    reply = PutScript().Run(redis_, keys, args);
  } else {
    std::string replicas = std::to_string(options_.wait_replicas);
    std::string timeout = std::to_string(options_.wait_timeout_ms);
    absl::StatusOr<std::vector<redis::Reply>> replies =
        PutScript().RunThen(redis_, keys, args, {{"WAIT", replicas, timeout}});
    if (!replies.ok()) {
      reply = replies.status();
    } else {
      reply = std::move((*replies)[0]);
      const redis::Reply& acknowledged = (*replies)[1];
      if (acknowledged.type != redis::Reply::Type::kInteger) {
        replicated = UnexpectedReply("WAIT");
      } else if (acknowledged.integer < options_.wait_replicas) {
        replicated = error::Unavailable(
            absl::StrCat("message stored, but only ", acknowledged.integer, " of ",
                         options_.wait_replicas, " replicas acknowledged it within ",
                         options_.wait_timeout_ms, " ms"));
      }
    }
  }
  if (reply.ok() && (reply->type != redis::Reply::Type::kArray ||
                     reply->elements.size() != stored.size())) {
    reply = UnexpectedReply("the put script");
  }
  for (size_t n = 0; n < stored.size(); ++n) {
    const size_t i = stored[n];
    if (!reply.ok()) {
      outcomes[i] = reply.status();
    } else if (!replicated.ok()) {
      outcomes[i] = replicated;
    } else {
      outcomes[i] = ParsePutReply(items[i].message_id, reply->elements[n]);
    }
  }
  return outcomes;
}

absl::StatusOr<std::vector<MessageMeta>> MailboxStore::List(
    std::string_view mailbox) const {
  if (absl::Status valid = ValidateMailbox(mailbox); !valid.ok()) return valid;
  MailboxKeys keys(mailbox);
  absl::StatusOr<redis::Reply> all = redis_.Command({"HGETALL", keys.meta});
  if (!all.ok()) return all.status();
  if (all->type != redis::Reply::Type::kArray || all->elements.size() % 2 != 0) {
    return UnexpectedReply("HGETALL");
  }
  std::vector<MessageMeta> metas;
  metas.reserve(all->elements.size() / 2);
  for (size_t i = 0; i < all->elements.size(); i += 2) {
    absl::StatusOr<MessageMeta> meta =
        UnpackMeta(all->elements[i].str, all->elements[i + 1].str);
    if (!meta.ok()) return meta.status();
    metas.push_back(*std::move(meta));
  }
  // The hash has no order; the sequence each message drew is its arrival order.
  std::sort(metas.begin(), metas.end(), [](const MessageMeta& a, const MessageMeta& b) {
    return a.sequence < b.sequence;
  });
  return metas;
}

absl::StatusOr<StoredMessage> MailboxStore::Get(std::string_view mailbox,
                                                std::string_view message_id) const {
  if (absl::Status valid = ValidateMailbox(mailbox); !valid.ok()) return valid;
  if (absl::Status valid = ValidateMessageId(message_id); !valid.ok()) return valid;
  MailboxKeys keys(mailbox);
  std::string blob_key = keys.Blob(message_id);
  absl::StatusOr<std::vector<redis::Reply>> replies =
      redis_.Pipeline({{"HGET", keys.meta, message_id}, {"GET", blob_key}});
  if (!replies.ok()) return replies.status();
  redis::Reply& packed = (*replies)[0];
  redis::Reply& blob = (*replies)[1];
  // A Delete may run between the two reads (other clients' commands can come
  // between pipelined ones): either half missing means the message is gone.
  if (packed.is_nil() || blob.is_nil()) return MessageNotFound(mailbox, message_id);
  absl::StatusOr<MessageMeta> meta = UnpackMeta(message_id, packed.str);
  if (!meta.ok()) return meta.status();
  return StoredMessage{*std::move(meta), std::move(blob.str)};
}

absl::Status MailboxStore::Delete(std::string_view mailbox,
                                  std::string_view message_id) const {
  if (absl::Status valid = ValidateMailbox(mailbox); !valid.ok()) return valid;
  if (absl::Status valid = ValidateMessageId(message_id); !valid.ok()) return valid;
  MailboxKeys keys(mailbox);
  std::string blob_key = keys.Blob(message_id);
  absl::StatusOr<redis::Reply> deleted =
      DeleteScript().Run(redis_, {blob_key, keys.index, keys.meta}, {message_id});
  if (!deleted.ok()) return deleted.status();
  if (deleted->type != redis::Reply::Type::kInteger)
    return UnexpectedReply("the delete script");
  if (deleted->integer == 0) return MessageNotFound(mailbox, message_id);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<MailboxStats>> MailboxStore::Stats(
    std::string_view mailbox) const {
  std::vector<std::string> names;
  if (!mailbox.empty()) {
    if (absl::Status valid = ValidateMailbox(mailbox); !valid.ok()) return valid;
    names.emplace_back(mailbox);
  } else {
    absl::StatusOr<redis::Reply> members = redis_.Command({"SMEMBERS", kMailboxesKey});
    if (!members.ok()) return members.status();
    if (members->type != redis::Reply::Type::kArray) return UnexpectedReply("SMEMBERS");
    for (redis::Reply& member : members->elements) names.push_back(std::move(member.str));
    std::sort(names.begin(), names.end());
  }

  std::vector<MailboxStats> all;
  all.reserve(names.size());
  for (size_t start = 0; start < names.size(); start += kStatsBatch) {
    size_t end = std::min(names.size(), start + kStatsBatch);
    std::vector<std::string> meta_keys;
    meta_keys.reserve(end - start);
    std::vector<std::vector<std::string_view>> commands;
    commands.reserve(end - start);
    for (size_t i = start; i < end; ++i) meta_keys.push_back(MailboxKeys(names[i]).meta);
    for (const std::string& key : meta_keys) commands.push_back({"HVALS", key});
    absl::StatusOr<std::vector<redis::Reply>> replies = redis_.Pipeline(commands);
    if (!replies.ok()) return replies.status();
    for (size_t i = start; i < end; ++i) {
      absl::StatusOr<MailboxStats> stats =
          StatsFromValues(names[i], (*replies)[i - start]);
      if (!stats.ok()) return stats.status();
      all.push_back(*std::move(stats));
    }
  }
  return all;
}

}  // namespace cmtp::mailstore
