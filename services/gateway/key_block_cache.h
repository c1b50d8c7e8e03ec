// Signed key blocks of local accounts, kept for a short while. A KEYREQUEST
// for a local account otherwise costs a keyserver round trip, a Redis read
// and an Ed25519 signature; Ed25519 signatures are deterministic, so a kept
// block is byte-identical to a fresh one. An account the keyserver does not
// serve (unknown or disabled) is kept too, as a negative entry with a shorter
// lifetime of its own. Nothing tells a gateway that an operator disabled or
// re-keyed an account: the lifetimes bound how long the old answer is served.
#ifndef CMTP_SERVICES_GATEWAY_KEY_BLOCK_CACHE_H_
#define CMTP_SERVICES_GATEWAY_KEY_BLOCK_CACHE_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "services/gateway/backends.h"

namespace cmtp::gateway {

struct KeyBlockCacheOptions {
  // How long a key block is served from memory; zero: never kept.
  std::chrono::milliseconds ttl{0};
  // How long "no such account" is; zero: never kept.
  std::chrono::milliseconds negative_ttl{0};
  // Accounts kept at most (positive and negative together).
  size_t max_entries = 0;
};

class KeyBlockCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // What a lookup found: nothing usable, a key block, or "not available".
  struct Hit {
    // Empty: the account is known not to be served.
    std::optional<KeyBlock> block;
  };

  // `clock` is injected so tests can move time; production passes
  // std::chrono::steady_clock::now.
  KeyBlockCache(KeyBlockCacheOptions options, Clock clock);

  // False when both lifetimes are zero or there is no room: callers skip the
  // cache entirely.
  bool enabled() const { return enabled_; }

  std::optional<Hit> Find(std::string_view account);
  void RememberBlock(std::string_view account, const KeyBlock& block);
  void RememberNotAvailable(std::string_view account);
  // Drops what is kept for `account` (it was just registered here).
  void Forget(std::string_view account);

 private:
  struct Entry {
    std::chrono::steady_clock::time_point expiry;
    std::optional<KeyBlock> block;
  };
  // Transparent hashing: lookups by string_view allocate nothing.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const {
      return std::hash<std::string_view>{}(s);
    }
  };

  void Store(std::string_view account, Entry entry);
  // Called with mutex_ held when the map is full.
  void EvictLocked(std::chrono::steady_clock::time_point now);

  const KeyBlockCacheOptions options_;
  const bool enabled_;
  const Clock clock_;
  std::mutex mutex_;  // sessions on several io threads share one cache
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
};

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_KEY_BLOCK_CACHE_H_
