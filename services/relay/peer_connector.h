// Opens sessions with the CMTP servers of foreign domains: finds the server
// (Discovery), connects to its addresses in order, asks its key
// (KEYREQUEST\0\0, self-signed) and checks that key against the domain's pin,
// pinning it on first contact. Idle sessions are reused, the pin checked
// again once `pin_recheck` has passed since the last check (an operator may
// have re-pinned meanwhile; checking on every reuse costs a Redis round trip
// per delivery).
#ifndef CMTP_SERVICES_RELAY_PEER_CONNECTOR_H_
#define CMTP_SERVICES_RELAY_PEER_CONNECTOR_H_

#include <chrono>
#include <functional>
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
  // How long a reused session's key counts as checked against the pin
  // (0: checked on every reuse).
  std::chrono::milliseconds pin_recheck{1'000};
};

class PeerConnector {
 public:
  // Everything must outlive the connector. Thread-safe.
  // `steady_now_ms` is a monotonic clock.
  PeerConnector(Discovery& discovery, PinStore& pins, RelayStats& stats,
                IdleConnections& idle, PeerOptions options,
                std::function<int64_t()> steady_now_ms);

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
  const std::function<int64_t()> steady_now_ms_;
};

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_PEER_CONNECTOR_H_
