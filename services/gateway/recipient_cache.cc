#include "services/gateway/recipient_cache.h"

#include <utility>

namespace cmtp::gateway {

RecipientCache::RecipientCache(std::chrono::milliseconds ttl, size_t max_entries,
                               Clock clock)
    : ttl_(ttl), max_entries_(max_entries), clock_(std::move(clock)) {}

bool RecipientCache::Contains(std::string_view account) {
  const auto now = clock_();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = expiry_.find(std::string(account));
  if (it == expiry_.end()) return false;
  if (now < it->second) return true;
  expiry_.erase(it);
  return false;
}

void RecipientCache::Remember(std::string_view account) {
  const auto now = clock_();
  std::lock_guard<std::mutex> lock(mutex_);
  if (expiry_.size() >= max_entries_) EvictLocked(now);
  expiry_[std::string(account)] = now + ttl_;
}

void RecipientCache::EvictLocked(std::chrono::steady_clock::time_point now) {
  std::erase_if(expiry_, [now](const auto& entry) { return entry.second <= now; });
  // Still full of live entries: forgetting them only costs lookups.
  if (expiry_.size() >= max_entries_) expiry_.clear();
}

}  // namespace cmtp::gateway
