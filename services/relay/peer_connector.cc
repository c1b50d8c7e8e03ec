#include "services/relay/peer_connector.h"

#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/client/connection.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/crypto/sodium.h"

namespace cmtp::relay {
namespace {

// A server key check or a bad answer is a property of the peer, not of our
// request: every failure to get a usable session is temporary.
absl::Status PeerTrouble(std::string_view domain, std::string_view address,
                         const absl::Status& status) {
  return error::Unavailable(
      absl::StrCat(ToAbsl(domain), " (", ToAbsl(address), "): ", status.message()));
}

}  // namespace

PeerConnector::PeerConnector(Discovery& discovery, PinStore& pins, RelayStats& stats,
                             IdleConnections& idle, PeerOptions options,
                             std::function<int64_t()> steady_now_ms)
    : discovery_(discovery),
      pins_(pins),
      stats_(stats),
      idle_(idle),
      options_(options),
      steady_now_ms_(std::move(steady_now_ms)) {}

absl::Status PeerConnector::CheckPin(std::string_view domain,
                                     std::string_view server_key) {
  absl::StatusOr<PinCheck> check = pins_.Check(domain, server_key);
  if (!check.ok()) {
    return error::Unavailable(absl::StrCat("cannot check the pin of ", ToAbsl(domain),
                                           ": ", check.status().message()));
  }
  switch (check->verdict) {
    case PinVerdict::kMatches:
      return absl::OkStatus();
    case PinVerdict::kPinnedNow:
      std::fprintf(stderr, "relay: first contact with %s: pinned its server key %s\n",
                   std::string(domain).c_str(), crypto::ToHex(server_key).c_str());
      return absl::OkStatus();
    case PinVerdict::kRefused:
      break;
  }
  stats_.Add(Counter::kPinRefusals);
  const std::string refusal = PinRefusalMessage(domain, check->pinned_key, server_key);
  std::fprintf(stderr, "relay: %s (offered key %s)\n", refusal.c_str(),
               crypto::ToHex(server_key).c_str());
  return error::Unavailable(refusal);
}

absl::StatusOr<std::unique_ptr<PeerSession>> PeerConnector::Open(
    std::string_view domain) {
  absl::StatusOr<Discovered> found = discovery_.Resolve(domain);
  if (absl::IsNotFound(found.status())) {
    // Like a mail server facing a missing domain: the DNS may be fixed in
    // time, so this stays temporary until the queue lifetime runs out.
    return error::Unavailable(absl::StrCat("no CMTP server found for ", ToAbsl(domain),
                                           " (retried until the queue lifetime runs "
                                           "out): ",
                                           found.status().message()));
  }
  if (!found.ok()) {
    return error::Unavailable(
        absl::StrCat("cannot look up ", ToAbsl(domain), ": ", found.status().message()));
  }
  if (found->addresses.empty()) {
    return error::Unavailable(
        absl::StrCat("no address found for ", ToAbsl(domain), "'s CMTP server"));
  }
  client::ConnectionOptions connection_options;
  connection_options.connect_timeout = options_.connect_timeout;
  connection_options.io_timeout = options_.io_timeout;
  std::string reasons;
  for (const PeerAddress& address : found->addresses) {
    const client::Endpoint endpoint{address.ip, static_cast<uint16_t>(address.port)};
    absl::StatusOr<std::unique_ptr<client::Connection>> connection =
        client::Connection::Open(endpoint, connection_options);
    if (!connection.ok()) {
      absl::StrAppend(&reasons, reasons.empty() ? "" : "; ",
                      connection.status().message());
      continue;
    }
    auto peer = std::make_unique<PeerSession>();
    peer->domain = std::string(domain);
    peer->address = endpoint.ToString();
    peer->session = std::make_unique<client::Session>(*std::move(connection));
    absl::StatusOr<std::string> key = peer->session->ServerKey();
    if (!key.ok()) return PeerTrouble(domain, peer->address, key.status());
    if (absl::Status pinned = CheckPin(domain, *key); !pinned.ok()) return pinned;
    peer->server_key = *std::move(key);
    peer->pin_checked_ms = steady_now_ms_();
    return peer;
  }
  return error::Unavailable(
      absl::StrCat("cannot reach ", ToAbsl(domain), "'s CMTP server: ", reasons));
}

absl::StatusOr<std::unique_ptr<PeerSession>> PeerConnector::Acquire(
    std::string_view domain, bool allow_idle, bool* reused) {
  *reused = false;
  if (allow_idle) {
    std::unique_ptr<PeerSession> idle = idle_.Take(domain);
    if (idle != nullptr) {
      const int64_t now = steady_now_ms_();
      if (now - idle->pin_checked_ms >= options_.pin_recheck.count()) {
        if (absl::Status pinned = CheckPin(domain, idle->server_key); !pinned.ok()) {
          return pinned;
        }
        idle->pin_checked_ms = now;
      }
      *reused = true;
      return idle;
    }
  }
  return Open(domain);
}

void PeerConnector::Release(std::unique_ptr<PeerSession> peer) {
  idle_.Put(std::move(peer));
}

}  // namespace cmtp::relay
