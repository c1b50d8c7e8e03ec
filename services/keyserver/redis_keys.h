// The Redis keys the keyserver owns (docs/services.md). Account hashes carry
// the name as a hash tag so that a future cluster keeps each account on one
// slot.
#ifndef CMTP_SERVICES_KEYSERVER_REDIS_KEYS_H_
#define CMTP_SERVICES_KEYSERVER_REDIS_KEYS_H_

#include <string>
#include <string_view>

namespace cmtp::keyserver {

inline constexpr std::string_view kAccountsSetKey = "cmtp:accounts";

inline std::string AccountKey(std::string_view account) {
  return std::string("cmtp:acct:{").append(account).append("}");
}

inline std::string InviteKey(std::string_view token) {
  return std::string("cmtp:invite:").append(token);
}

inline std::string AccountRateKey(std::string_view account) {
  return std::string("cmtp:rl:acct:").append(account);
}

inline std::string PeerRateKey(std::string_view peer_host) {
  return std::string("cmtp:rl:peer:").append(peer_host);
}

}  // namespace cmtp::keyserver

#endif  // CMTP_SERVICES_KEYSERVER_REDIS_KEYS_H_
