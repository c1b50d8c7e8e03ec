// Foreign keys fetched for local users, cached in Redis
// (`cmtp:relay:key:<domain>:<account>`, with a TTL) so that a burst of mail to
// one correspondent asks their server once. "Not available" answers are
// cached too, briefly. Each entry remembers the server key that vouched for
// it, so a re-pin makes older entries stale.
#ifndef CMTP_SERVICES_RELAY_KEY_CACHE_H_
#define CMTP_SERVICES_RELAY_KEY_CACHE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/redis/client.h"

namespace cmtp::relay {

struct CachedKey {
  bool available = false;
  std::string public_key;         // 32 bytes when available
  std::string server_public_key;  // 32 bytes: the server that answered
};

class KeyCache {
 public:
  // `redis` must outlive the cache. TTLs in milliseconds, positive.
  KeyCache(redis::Client& redis, int64_t ttl_ms, int64_t negative_ttl_ms);

  // nullopt when nothing (or something unreadable) is cached.
  absl::StatusOr<std::optional<CachedKey>> Get(std::string_view domain,
                                               std::string_view account) const;
  absl::Status Put(std::string_view domain, std::string_view account,
                   const CachedKey& key) const;

 private:
  redis::Client& redis_;
  const int64_t ttl_ms_;
  const int64_t negative_ttl_ms_;
};

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_KEY_CACHE_H_
