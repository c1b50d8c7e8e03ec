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
                                    int64_t now_ms, const ReplicaWait& wait) {
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
  std::vector<std::vector<std::string_view>> commands = {
      {"SET", key, created, "EX", ttl, "NX"}};
  std::vector<std::string> wait_command = wait.Command();
  if (wait.enabled()) commands.emplace_back(wait_command.begin(), wait_command.end());
  // One pipeline: WAIT counts the acknowledgements of its own connection's writes.
  absl::StatusOr<std::vector<redis::Reply>> replies = redis.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  if (replies->size() != commands.size()) {
    return error::Internal("unexpected replies to an invite's SET");
  }
  if ((*replies)[0].is_nil()) return error::Internal("fresh invite token collided");
  if (wait.enabled()) {
    if (absl::Status acked = CheckReplicaAck(wait, (*replies)[1], "invite");
        !acked.ok()) {
      return acked;
    }
  }
  return invite;
}

}  // namespace cmtp::keyserver
