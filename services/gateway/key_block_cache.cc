#include "services/gateway/key_block_cache.h"

#include <utility>

namespace cmtp::gateway {

KeyBlockCache::KeyBlockCache(KeyBlockCacheOptions options, Clock clock)
    : options_(options),
      enabled_(options.max_entries > 0 &&
               (options.ttl.count() > 0 || options.negative_ttl.count() > 0)),
      clock_(std::move(clock)) {}

std::optional<KeyBlockCache::Hit> KeyBlockCache::Find(std::string_view account) {
  if (!enabled_) return std::nullopt;
  const auto now = clock_();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(account);
  if (it == entries_.end()) return std::nullopt;
  if (now >= it->second.expiry) {
    entries_.erase(it);
    return std::nullopt;
  }
  return Hit{it->second.block};
}

void KeyBlockCache::RememberBlock(std::string_view account, const KeyBlock& block) {
  if (!enabled_ || options_.ttl.count() <= 0) return;
  Store(account, Entry{clock_() + options_.ttl, block});
}

void KeyBlockCache::RememberNotAvailable(std::string_view account) {
  if (!enabled_ || options_.negative_ttl.count() <= 0) return;
  Store(account, Entry{clock_() + options_.negative_ttl, std::nullopt});
}

void KeyBlockCache::Forget(std::string_view account) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(account);
  if (it != entries_.end()) entries_.erase(it);
}

void KeyBlockCache::Store(std::string_view account, Entry entry) {
  const auto now = clock_();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(account);
  if (it != entries_.end()) {
    it->second = std::move(entry);
    return;
  }
  if (entries_.size() >= options_.max_entries) EvictLocked(now);
  entries_.emplace(std::string(account), std::move(entry));
}

void KeyBlockCache::EvictLocked(std::chrono::steady_clock::time_point now) {
  std::erase_if(entries_,
                [now](const auto& entry) { return entry.second.expiry <= now; });
  // Still full of live entries: forgetting them only costs keyserver calls.
  if (entries_.size() >= options_.max_entries) entries_.clear();
}

}  // namespace cmtp::gateway
