#include "services/relay/key_cache.h"

#include <cstdio>
#include <cstdlib>

#include "lib/common/errors.h"
#include "lib/crypto/sodium.h"
#include "services/relay/relay_keys.h"

namespace cmtp::relay {
namespace {

// Entry layout: '1' | pk[32] | server pk[32], or '0' | server pk[32].
constexpr char kAvailable = '1';
constexpr char kNotAvailable = '0';

}  // namespace

KeyCache::KeyCache(redis::Client& redis, int64_t ttl_ms, int64_t negative_ttl_ms)
    : redis_(redis), ttl_ms_(ttl_ms), negative_ttl_ms_(negative_ttl_ms) {
  if (ttl_ms_ <= 0 || negative_ttl_ms_ <= 0) {
    std::fprintf(stderr, "relay: key cache TTLs must be positive\n");
    std::abort();
  }
}

absl::StatusOr<std::optional<CachedKey>> KeyCache::Get(std::string_view domain,
                                                       std::string_view account) const {
  absl::StatusOr<redis::Reply> reply =
      redis_.Command({"GET", keys::CachedKey(domain, account)});
  if (!reply.ok()) return reply.status();
  if (reply->type != redis::Reply::Type::kString) return std::nullopt;
  const std::string& entry = reply->str;
  constexpr size_t kKey = crypto::kPublicKeySize;
  CachedKey key;
  if (entry.size() == 1 + 2 * kKey && entry[0] == kAvailable) {
    key.available = true;
    key.public_key = entry.substr(1, kKey);
    key.server_public_key = entry.substr(1 + kKey);
    return key;
  }
  if (entry.size() == 1 + kKey && entry[0] == kNotAvailable) {
    key.server_public_key = entry.substr(1);
    return key;
  }
  // Written by another version: treat as absent; the fetch overwrites it.
  return std::nullopt;
}

absl::Status KeyCache::Put(std::string_view domain, std::string_view account,
                           const CachedKey& key) const {
  if (key.server_public_key.size() != crypto::kPublicKeySize ||
      (key.available && key.public_key.size() != crypto::kPublicKeySize)) {
    return error::Internal("relay: a cached key needs 32-byte keys");
  }
  std::string entry(1, key.available ? kAvailable : kNotAvailable);
  if (key.available) entry += key.public_key;
  entry += key.server_public_key;
  const std::string ttl = std::to_string(key.available ? ttl_ms_ : negative_ttl_ms_);
  return redis_.Command({"SET", keys::CachedKey(domain, account), entry, "PX", ttl})
      .status();
}

}  // namespace cmtp::relay
