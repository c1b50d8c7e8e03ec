// Which account names and domains this keyserver accepts. Names become part
// of Redis keys and of signed byte strings, so they are kept to a small,
// unambiguous alphabet: one spelling per account.
#ifndef CMTP_SERVICES_KEYSERVER_ACCOUNT_NAME_H_
#define CMTP_SERVICES_KEYSERVER_ACCOUNT_NAME_H_

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace cmtp::keyserver {

inline constexpr size_t kMaxAccountNameBytes = 64;

// 1-64 bytes of [a-z0-9._-]. InvalidInput with the reason otherwise.
absl::Status ValidateAccountName(std::string_view name);

// Domains compare without regard to ASCII case (DNS names do).
bool SameDomain(std::string_view a, std::string_view b);

// OkStatus when `requested` is the served domain, else PermissionDenied
// "this server serves <served>".
absl::Status CheckServedDomain(std::string_view requested, std::string_view served);

}  // namespace cmtp::keyserver

#endif  // CMTP_SERVICES_KEYSERVER_ACCOUNT_NAME_H_
