// Opens sessions with the CMTP servers of foreign domains: finds the server
// (Discovery), connects to its addresses in order, asks its key
// (KEYREQUEST\0\0, self-signed) and checks that key against the domain's pin,
// pinning it on first contact. Idle sessions are reused, the pin checked
// again each time (an operator may have re-pinned meanwhile).
#ifndef CMTP_SERVICES_RELAY_PEER_CONNECTOR_H_
#define CMTP_SERVICES_RELAY_PEER_CONNECTOR_H_

#include <chrono>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/wire/limits.h"
#include "services/relay/discovery.h"
#include "services/relay/idle_connections.h"
#include "services/relay/pin_store.h"
#include "services/relay/relay_stats.h"

namespace cmtp::relay {

struct PeerOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds io_timeout{30'000};
};

class PeerConnector {
 public:
  // Everything must outlive the connector. Thread-safe.
  PeerConnector(Discovery& discovery, PinStore& pins, RelayStats& stats,
                IdleConnections& idle, PeerOptions options);

  // A session with `domain`'s server whose key matches the pin. With
  // `allow_idle`, an idle session is taken when there is one (`*reused` then
  // says so). Unavailable, with the reason, when the domain cannot be found
  // or reached, or presents a key other than its pin (a refusal: recorded,
  // counted and logged).
  absl::StatusOr<std::unique_ptr<PeerSession>> Acquire(std::string_view domain,
                                                       bool allow_idle, bool* reused);
  // Keeps a session that finished its exchange cleanly for the next one.
  void Release(std::unique_ptr<PeerSession> peer);

 private:
  absl::StatusOr<std::unique_ptr<PeerSession>> Open(std::string_view domain);
  // OkStatus when `server_key` may be trusted for `domain`.
  absl::Status CheckPin(std::string_view domain, std::string_view server_key);

  Discovery& discovery_;
  PinStore& pins_;
  RelayStats& stats_;
  IdleConnections& idle_;
  const PeerOptions options_;
};

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_PEER_CONNECTOR_H_
