// Local accounts recently confirmed to exist. Every MAIL checks its
// recipient; a burst of mail to the same people would otherwise cost a
// keyserver round trip each. Only positive answers are kept, and only for a
// few seconds, so a new account is reachable at once and a deleted one stops
// receiving soon after.
#ifndef CMTP_SERVICES_GATEWAY_RECIPIENT_CACHE_H_
#define CMTP_SERVICES_GATEWAY_RECIPIENT_CACHE_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace cmtp::gateway {

class RecipientCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `clock` is injected so tests can move time; production passes
  // std::chrono::steady_clock::now.
  RecipientCache(std::chrono::milliseconds ttl, size_t max_entries, Clock clock);

  // True when `account` was remembered less than `ttl` ago.
  bool Contains(std::string_view account);
  void Remember(std::string_view account);

 private:
  // Called with mutex_ held when the map is full.
  void EvictLocked(std::chrono::steady_clock::time_point now);

  const std::chrono::milliseconds ttl_;
  const size_t max_entries_;
  const Clock clock_;
  std::mutex mutex_;  // sessions on several io threads share one cache
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> expiry_;
};

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_RECIPIENT_CACHE_H_
