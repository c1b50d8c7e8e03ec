#include "services/relay/key_fetcher.h"

#include <cstdio>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "services/relay/relay_metrics.h"

namespace cmtp::relay {
namespace {

absl::Status NotAvailable(std::string_view domain, std::string_view account,
                          bool cached) {
  return error::NotFound(absl::StrCat("the server of ", ToAbsl(domain),
                                      " has no key for ", ToAbsl(account), "@",
                                      ToAbsl(domain), cached ? " (cached answer)" : ""));
}

}  // namespace

KeyFetcher::KeyFetcher(PeerConnector& connector, PinStore& pins, KeyCache& cache,
                       RelayStats& stats)
    : connector_(connector), pins_(pins), cache_(cache), stats_(stats) {}

absl::StatusOr<FetchedKey> KeyFetcher::FetchServerKey(std::string_view domain) {
  absl::StatusOr<std::optional<Pin>> pin = pins_.Get(domain);
  if (!pin.ok()) return pin.status();
  // The pin is what every answer of that domain is checked against; handing
  // it out needs no round trip.
  if (pin->has_value()) {
    return FetchedKey{(*pin)->server_public_key, (*pin)->server_public_key, true};
  }
  bool reused = false;
  absl::StatusOr<std::unique_ptr<PeerSession>> peer =
      connector_.Acquire(domain, /*allow_idle=*/true, &reused);
  if (!peer.ok()) return peer.status();
  FetchedKey fetched{(*peer)->server_key, (*peer)->server_key, false};
  connector_.Release(*std::move(peer));
  return fetched;
}

absl::StatusOr<std::optional<CachedKey>> KeyFetcher::Cached(std::string_view domain,
                                                            std::string_view account) {
  absl::StatusOr<std::optional<CachedKey>> cached = cache_.Get(domain, account);
  if (!cached.ok() || !cached->has_value()) return cached;
  absl::StatusOr<std::optional<Pin>> pin = pins_.Get(domain);
  if (!pin.ok()) return pin.status();
  // Vouched for by a key that is no longer the pin (re-pinned, forgotten).
  if (!pin->has_value() || (*pin)->server_public_key != (*cached)->server_public_key) {
    return std::nullopt;
  }
  return cached;
}

absl::StatusOr<FetchedKey> KeyFetcher::Fetch(std::string_view domain,
                                             std::string_view account) {
  if (account.empty()) return FetchServerKey(domain);

  absl::StatusOr<std::optional<CachedKey>> cached = Cached(domain, account);
  if (!cached.ok()) return cached.status();
  if (cached->has_value()) {
    if (RelayMetrics* metrics = stats_.metrics(); metrics != nullptr) {
      metrics->KeyCacheHit();
    }
    if (!(*cached)->available) return NotAvailable(domain, account, true);
    return FetchedKey{(*cached)->public_key, (*cached)->server_public_key, true};
  }

  bool reused = false;
  absl::StatusOr<std::unique_ptr<PeerSession>> peer =
      connector_.Acquire(domain, /*allow_idle=*/true, &reused);
  if (!peer.ok()) return peer.status();
  stats_.Add(Counter::kKeyFetches);
  // Verified by the session with the server key the pin check accepted.
  absl::StatusOr<std::string> key = (*peer)->session->KeyRequest(account, domain);
  if (!key.ok() && reused && absl::IsUnavailable(key.status())) {
    // The idle connection may have been closed by the peer meanwhile.
    peer = connector_.Acquire(domain, /*allow_idle=*/false, &reused);
    if (!peer.ok()) return peer.status();
    key = (*peer)->session->KeyRequest(account, domain);
  }
  const bool not_available = absl::IsNotFound(key.status());
  if (!key.ok() && !not_available) return key.status();

  CachedKey entry;
  entry.available = !not_available;
  entry.server_public_key = (*peer)->server_key;
  if (entry.available) entry.public_key = *key;
  connector_.Release(*std::move(peer));
  if (absl::Status stored = cache_.Put(domain, account, entry); !stored.ok()) {
    // The answer stands; the next request just asks again.
    std::fprintf(stderr, "relay: cannot cache the key of %s@%s: %s\n",
                 std::string(account).c_str(), std::string(domain).c_str(),
                 std::string(stored.message()).c_str());
  }
  if (not_available) return NotAvailable(domain, account, false);
  return FetchedKey{*std::move(key), entry.server_public_key, false};
}

}  // namespace cmtp::relay
