#include <mutex>
#include <string>
#include <utility>

#include "lib/common/errors.h"
#include "lib/redis/client.h"

namespace cmtp::redis {

struct Script::Sha1Cache {
  std::mutex mutex;
  std::string sha1;  // guarded by mutex; empty until SCRIPT LOAD answered
};

namespace {

// EVAL/EVALSHA <script> <numkeys> keys... args...; views only, so a large
// argument (a message blob) reaches hiredis without a copy.
std::vector<std::string_view> EvalCommand(std::string_view verb, std::string_view script,
                                          std::string_view key_count,
                                          const std::vector<std::string_view>& keys,
                                          const std::vector<std::string_view>& args) {
  std::vector<std::string_view> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back(verb);
  argv.push_back(script);
  argv.push_back(key_count);
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

Script::Script(std::string source, Retry retry)
    : source_(std::move(source)),
      retry_(retry),
      sha1_cache_(std::make_shared<Sha1Cache>()) {}

std::string Script::sha1() const {
  std::lock_guard<std::mutex> lock(sha1_cache_->mutex);
  return sha1_cache_->sha1;
}

absl::StatusOr<std::string> Script::LoadedSha1(Client& client) const {
  {
    std::lock_guard<std::mutex> lock(sha1_cache_->mutex);
    if (!sha1_cache_->sha1.empty()) return sha1_cache_->sha1;
  }
  // Loading is idempotent, so it may be re-sent. Two threads racing here both
  // load; Redis answers both with the same SHA.
  absl::StatusOr<Reply> loaded =
      client.Command({"SCRIPT", "LOAD", source_}, Retry::kSafe);
  if (!loaded.ok()) return loaded.status();
  if (loaded->type != Reply::Type::kString || loaded->str.size() != 40) {
    return error::Internal("redis: SCRIPT LOAD did not answer with a SHA-1");
  }
  std::lock_guard<std::mutex> lock(sha1_cache_->mutex);
  sha1_cache_->sha1 = loaded->str;
  return sha1_cache_->sha1;
}

absl::StatusOr<Reply> Script::Run(Client& client,
                                  const std::vector<std::string_view>& keys,
                                  const std::vector<std::string_view>& args) const {
  absl::StatusOr<std::vector<Reply>> replies = RunThen(client, keys, args, {});
  if (!replies.ok()) return replies.status();
  return std::move(replies->front());
}

absl::StatusOr<std::vector<Reply>> Script::RunThen(
    Client& client, const std::vector<std::string_view>& keys,
    const std::vector<std::string_view>& args,
    const std::vector<std::vector<std::string_view>>& then) const {
  absl::StatusOr<std::string> sha1 = LoadedSha1(client);
  if (!sha1.ok()) return sha1.status();
  std::string key_count = std::to_string(keys.size());
  std::vector<std::vector<std::string_view>> commands;
  commands.reserve(1 + then.size());
  commands.push_back(EvalCommand("EVALSHA", *sha1, key_count, keys, args));
  commands.insert(commands.end(), then.begin(), then.end());
  // A script is re-sent after a broken connection only when its author said
  // it is safe; EVALSHA is never on the read-only list.
  Retry retry = retry_ == Retry::kSafe ? Retry::kSafe : Retry::kNever;
  absl::StatusOr<std::vector<Reply>> replies = client.Pipeline(commands, retry);
  if (!replies.ok() && IsRedisError(replies.status(), "NOSCRIPT")) {
    // Redis lost its script cache (restart, failover, SCRIPT FLUSH). NOSCRIPT
    // means nothing ran, so sending the source once is always safe; EVAL
    // also puts the script back in the cache under the same SHA.
    commands.front() = EvalCommand("EVAL", source_, key_count, keys, args);
    replies = client.Pipeline(commands, retry);
  }
  return replies;
}

}  // namespace cmtp::redis
