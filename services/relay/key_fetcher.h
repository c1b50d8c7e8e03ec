// Foreign keys for local users (the gateway's KEYREQUEST for another domain):
// asked of that domain's server over a pin-checked session, the key block's
// signature verified with the pinned server key, and cached in Redis (briefly
// for "not available"). An empty account asks for the domain's server key
// itself: its pin, pinned on first contact.
#ifndef CMTP_SERVICES_RELAY_KEY_FETCHER_H_
#define CMTP_SERVICES_RELAY_KEY_FETCHER_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "services/relay/key_cache.h"
#include "services/relay/peer_connector.h"
#include "services/relay/pin_store.h"
#include "services/relay/relay_stats.h"

namespace cmtp::relay {

struct FetchedKey {
  std::string public_key;         // 32 bytes
  std::string server_public_key;  // the pinned key of the server that vouched
  bool from_cache = false;
};

class KeyFetcher {
 public:
  // Everything must outlive the fetcher. Thread-safe.
  KeyFetcher(PeerConnector& connector, PinStore& pins, KeyCache& cache,
             RelayStats& stats);

  // NotFound when the domain's server signs that it has no such key (that
  // answer is cached briefly); Unavailable when it cannot be asked (not
  // found, unreachable, a key other than its pin); CryptoFailure when its
  // answer does not verify.
  absl::StatusOr<FetchedKey> Fetch(std::string_view domain, std::string_view account);

 private:
  absl::StatusOr<FetchedKey> FetchServerKey(std::string_view domain);
  // The cached answer, when there is one vouched for by the current pin.
  absl::StatusOr<std::optional<CachedKey>> Cached(std::string_view domain,
                                                  std::string_view account);

  PeerConnector& connector_;
  PinStore& pins_;
  KeyCache& cache_;
  RelayStats& stats_;
};

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_KEY_FETCHER_H_
