// What an operator decides about one keyserver: the domain it serves, who
// may register, and how hard LOGIN may be hammered. Filled from flags by
// main.cc, passed to the core as plain values so tests can set them freely.
#ifndef CMTP_SERVICES_KEYSERVER_KEYSERVER_OPTIONS_H_
#define CMTP_SERVICES_KEYSERVER_KEYSERVER_OPTIONS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "services/keyserver/replica_wait.h"

namespace cmtp::keyserver {

enum class RegistrationPolicy {
  kOpen,       // anyone holding a key may register
  kInvite,     // a one-use token from `cmtpctl invite` is required
  kAdminOnly,  // only the operator API creates accounts
};

// "open", "invite" or "admin" (the --registration flag values).
absl::StatusOr<RegistrationPolicy> ParseRegistrationPolicy(std::string_view text);
std::string_view RegistrationPolicyName(RegistrationPolicy policy);

// LOGIN attempts allowed per fixed window. A limit of 0 or less switches that
// counter off.
struct LoginLimits {
  int64_t per_account = 10;
  int64_t per_peer = 30;
  int64_t window_seconds = 300;
};

struct KeyServerOptions {
  std::string domain = "localhost";
  RegistrationPolicy registration = RegistrationPolicy::kOpen;
  // Reference behaviour: LOGIN hands a v1 xzibit to anyone who names the
  // account, which invites offline password guessing.
  bool v1_open_login = true;
  LoginLimits login_limits;
  int64_t invite_ttl_seconds = 7 * 24 * 3600;
  // Accounts and invites wait for this many Redis replicas (--wait-replicas,
  // the mailstore's setting).
  ReplicaWait replica_wait;
};

}  // namespace cmtp::keyserver

#endif  // CMTP_SERVICES_KEYSERVER_KEYSERVER_OPTIONS_H_
