#include "services/keyserver/invites.h"

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/crypto/sodium.h"
#include "services/keyserver/redis_keys.h"

namespace cmtp::keyserver {

bool LooksLikeInviteToken(std::string_view token) {
  if (token.size() != 2 * kInviteTokenBytes) return false;
  for (char c : token) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::StatusOr<Invite> CreateInvite(redis::Client& redis, int64_t ttl_seconds,
                                    int64_t now_ms) {
  if (ttl_seconds <= 0) {
    return error::InvalidInput("an invite's lifetime must be positive");
  }
  Invite invite;
  invite.token = crypto::ToHex(crypto::RandomBytes(kInviteTokenBytes));
  invite.expires_ms = now_ms + ttl_seconds * 1000;
  std::string key = InviteKey(invite.token);
  std::string created = std::to_string(now_ms);
  std::string ttl = std::to_string(ttl_seconds);
  // NX: a token is never silently re-armed, however unlikely a collision is.
  absl::StatusOr<redis::Reply> reply =
      redis.Command({"SET", key, created, "EX", ttl, "NX"});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return error::Internal("fresh invite token collided");
  return invite;
}

}  // namespace cmtp::keyserver
