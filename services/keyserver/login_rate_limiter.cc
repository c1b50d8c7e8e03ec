#include "services/keyserver/login_rate_limiter.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "services/keyserver/redis_keys.h"

namespace cmtp::keyserver {
namespace {

// KEYS: the counters to charge. ARGV[1]: window seconds; ARGV[1 + i]: the
// limit of KEYS[i]. Returns 0 when the attempt was counted, else the seconds
// until the fullest counter expires. Checking every counter before touching
// any keeps a refused attempt from charging the other counter.
const redis::Script& ChargeScript() {
  static const redis::Script script(R"lua(
local window = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  local count = tonumber(redis.call('GET', key) or '0')
  if count >= tonumber(ARGV[i + 1]) then
    local ttl = redis.call('TTL', key)
    if ttl < 0 then
      redis.call('EXPIRE', key, window)
      ttl = window
    end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, window) end
end
return 0
)lua");
  return script;
}

std::string_view StripPrefix(std::string_view text, std::string_view prefix) {
  if (text.substr(0, prefix.size()) == prefix) text.remove_prefix(prefix.size());
  return text;
}

}  // namespace

std::string PeerHost(std::string_view peer) {
  // gRPC spells peers "ipv4:HOST:PORT" / "ipv6:[HOST]:PORT".
  peer = StripPrefix(StripPrefix(peer, "ipv4:"), "ipv6:");
  if (!peer.empty() && peer.front() == '[') {
    size_t close = peer.find(']');
    if (close != std::string_view::npos) peer = peer.substr(1, close - 1);
  } else if (size_t colon = peer.find(':');
             colon != std::string_view::npos &&
             peer.find(':', colon + 1) == std::string_view::npos) {
    peer = peer.substr(0, colon);  // exactly one colon: IPv4 (or a name) with a port
  }
  // A dual-stack listener sees IPv4 clients as IPv4-mapped IPv6 addresses.
  return std::string(StripPrefix(peer, "::ffff:"));
}

absl::Status LoginRateLimiter::Charge(std::string_view account, std::string_view peer) {
  std::vector<std::string> keys;
  std::vector<std::string> limits;
  if (limits_.per_account > 0) {
    keys.push_back(AccountRateKey(account));
    limits.push_back(std::to_string(limits_.per_account));
  }
  std::string host = PeerHost(peer);
  if (limits_.per_peer > 0 && !host.empty()) {
    keys.push_back(PeerRateKey(host));
    limits.push_back(std::to_string(limits_.per_peer));
  }
  if (keys.empty()) return absl::OkStatus();

  std::string window = std::to_string(limits_.window_seconds);
  std::vector<std::string_view> key_views(keys.begin(), keys.end());
  std::vector<std::string_view> args = {window};
  args.insert(args.end(), limits.begin(), limits.end());
  absl::StatusOr<redis::Reply> reply = ChargeScript().Run(redis_, key_views, args);
  if (!reply.ok()) return reply.status();
  if (reply->type != redis::Reply::Type::kInteger) {
    return error::Internal("rate-limit script answered something other than a number");
  }
  if (reply->integer > 0) {
    return error::LimitExceeded(
        absl::StrCat("too many LOGIN attempts, try again in ", reply->integer, " s"));
  }
  return absl::OkStatus();
}

absl::Status LoginRateLimiter::ForgiveAccount(std::string_view account) {
  std::string key = AccountRateKey(account);
  absl::StatusOr<redis::Reply> reply = redis_.Command({"DEL", key}, redis::Retry::kSafe);
  return reply.status();
}

}  // namespace cmtp::keyserver
