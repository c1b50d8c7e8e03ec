// Fixed-window counters that slow down password guessing through LOGIN: one
// per account (a targeted guesser) and one per peer address (a guesser
// sweeping many accounts). Counters live in Redis so every keyserver replica
// shares them, and expire with their window.
#ifndef CMTP_SERVICES_KEYSERVER_LOGIN_RATE_LIMITER_H_
#define CMTP_SERVICES_KEYSERVER_LOGIN_RATE_LIMITER_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "lib/redis/client.h"
#include "services/keyserver/keyserver_options.h"

namespace cmtp::keyserver {

// The host part of a peer address, so that every connection from one host
// shares a counter: "1.2.3.4:5678", "[::1]:5678", "ipv6:[::1]:5678" and
// "::ffff:1.2.3.4" give "1.2.3.4", "::1", "::1" and "1.2.3.4".
std::string PeerHost(std::string_view peer);

class LoginRateLimiter {
 public:
  LoginRateLimiter(redis::Client& redis, LoginLimits limits)
      : redis_(redis), limits_(limits) {}

  // Counts one LOGIN attempt for the account and, when `peer` is not empty,
  // for the peer's host. When either counter has already reached its limit
  // nothing is counted and the answer is LimitExceeded("too many LOGIN
  // attempts, try again in N s").
  absl::Status Charge(std::string_view account, std::string_view peer);

  // Clears the account's counter once its password has been proven, so the
  // owner is not locked out by their own earlier logins. The peer counter
  // stays: one host guessing across accounts is still slowed down.
  absl::Status ForgiveAccount(std::string_view account);

 private:
  redis::Client& redis_;
  LoginLimits limits_;
};

}  // namespace cmtp::keyserver

#endif  // CMTP_SERVICES_KEYSERVER_LOGIN_RATE_LIMITER_H_
