// Invite tokens for the `invite` registration policy: random, one use,
// expiring (a Redis key with a TTL). They are consumed by AccountStore::Create
// in the same script that creates the account.
#ifndef CMTP_SERVICES_KEYSERVER_INVITES_H_
#define CMTP_SERVICES_KEYSERVER_INVITES_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/redis/client.h"
#include "services/keyserver/replica_wait.h"

namespace cmtp::keyserver {

inline constexpr size_t kInviteTokenBytes = 16;  // 32 hex characters

struct Invite {
  std::string token;  // lower-case hex
  int64_t expires_ms = 0;
};

// True for something that could be one of our tokens: exactly 32 lower-case
// hex characters. Anything else is refused before it reaches a Redis key.
bool LooksLikeInviteToken(std::string_view token);

// Stores a fresh token valid for ttl_seconds (> 0) from now_ms, waiting for
// replicas as `wait` says.
absl::StatusOr<Invite> CreateInvite(redis::Client& redis, int64_t ttl_seconds,
                                    int64_t now_ms, const ReplicaWait& wait = {});

}  // namespace cmtp::keyserver

#endif  // CMTP_SERVICES_KEYSERVER_INVITES_H_
