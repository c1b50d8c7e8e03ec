// The pinned server keys of foreign domains (trust on first use), in Redis so
// every replica agrees: `cmtp:relay:pin:<domain>` (server pk, pinned_ms,
// refused pk, refused_ms, refusals) and the set `cmtp:relay:pins`. A domain
// that later presents another key is refused, and the refusal recorded, until
// an operator re-pins.
#ifndef CMTP_SERVICES_RELAY_PIN_STORE_H_
#define CMTP_SERVICES_RELAY_PIN_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/redis/client.h"

namespace cmtp::relay {

struct Pin {
  std::string domain;
  std::string server_public_key;  // 32 bytes
  int64_t pinned_ms = 0;
  // The last key the domain presented that did not match, and when.
  std::string refused_public_key;
  int64_t refused_ms = 0;
  uint64_t refusals = 0;
};

enum class PinVerdict {
  kPinnedNow,  // first contact: the offered key is now the pin
  kMatches,    // the offered key is the pin
  kRefused,    // another key is pinned; the refusal was recorded
};

struct PinCheck {
  PinVerdict verdict = PinVerdict::kRefused;
  std::string pinned_key;  // the pin after the check
};

class PinStore {
 public:
  // `redis` must outlive the store; `now_unix_ms` is the wall clock.
  PinStore(redis::Client& redis, std::function<int64_t()> now_unix_ms);

  // Compares the key `domain` offers with its pin, pinning it when the
  // domain has none; one script, so two replicas meeting a domain for the
  // first time at once agree on one pin.
  absl::StatusOr<PinCheck> Check(std::string_view domain,
                                 std::string_view offered_key) const;
  absl::StatusOr<std::optional<Pin>> Get(std::string_view domain) const;
  // Every pin, by domain.
  absl::StatusOr<std::vector<Pin>> List() const;
  // Pins `key` (32 bytes) from now on and forgets the refusals; an empty key
  // forgets the pin, so the next contact pins anew.
  absl::Status Repin(std::string_view domain, std::string_view key) const;

 private:
  redis::Client& redis_;
  const std::function<int64_t()> now_unix_ms_;
};

// "server key of <domain> changed: refused (pinned <hex8>, offered <hex8>);
// an operator can re-pin": the reason a delivery or key fetch fails.
std::string PinRefusalMessage(std::string_view domain, std::string_view pinned,
                              std::string_view offered);

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_PIN_STORE_H_
