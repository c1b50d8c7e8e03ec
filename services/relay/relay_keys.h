// The Redis keys the relay owns (docs/services.md, "relay"). Every replica of
// the relay shares them: the queue, the pins, the key cache and the counters
// live in Redis so that any replica can pick up any message.
#ifndef CMTP_SERVICES_RELAY_RELAY_KEYS_H_
#define CMTP_SERVICES_RELAY_RELAY_KEYS_H_

#include <string>
#include <string_view>

namespace cmtp::relay::keys {

// Hash per queued message: message bytes, envelope, times, attempts.
inline constexpr std::string_view kMessagePrefix = "cmtp:relay:msg:";
// Sorted set: message id -> next attempt (unix ms); a claimed message's
// score is the end of its lease.
inline constexpr std::string_view kDue = "cmtp:relay:due";
// The same scores by destination, so that a claim reads only destinations
// with room instead of scanning a backlog of one busy destination:
// sorted set per domain (message id -> score, as in kDue), ...
inline constexpr std::string_view kDestinationDuePrefix = "cmtp:relay:due:";
// ... sorted set of those domains, each scored by its earliest message, ...
inline constexpr std::string_view kDueDestinations = "cmtp:relay:dests";
// ... and how many ids the per-domain sets hold. A claim that finds it
// different from kDue's size (a queue written before the index existed)
// rebuilds the index from kDue first.
inline constexpr std::string_view kDueIndexed = "cmtp:relay:due-indexed";
// Hash per foreign domain: its pinned server key and the last refusal.
inline constexpr std::string_view kPinPrefix = "cmtp:relay:pin:";
// Set of every domain with a pin, for listing without SCAN.
inline constexpr std::string_view kPinnedDomains = "cmtp:relay:pins";
// String per fetched foreign key (with a TTL): "<account>" of "<domain>".
inline constexpr std::string_view kKeyCachePrefix = "cmtp:relay:key:";
// Hash of counters, added to with HINCRBY by every replica.
inline constexpr std::string_view kStats = "cmtp:relay:stats";

inline std::string Message(std::string_view id) {
  return std::string(kMessagePrefix) + std::string(id);
}
inline std::string Pin(std::string_view domain) {
  return std::string(kPinPrefix) + std::string(domain);
}
inline std::string CachedKey(std::string_view domain, std::string_view account) {
  return std::string(kKeyCachePrefix) + std::string(domain) + ":" + std::string(account);
}

}  // namespace cmtp::relay::keys

#endif  // CMTP_SERVICES_RELAY_RELAY_KEYS_H_
