#include "services/keyserver/keyserver_options.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"

namespace cmtp::keyserver {

absl::StatusOr<RegistrationPolicy> ParseRegistrationPolicy(std::string_view text) {
  if (text == "open") return RegistrationPolicy::kOpen;
  if (text == "invite") return RegistrationPolicy::kInvite;
  if (text == "admin") return RegistrationPolicy::kAdminOnly;
  return error::InvalidInput(absl::StrCat(
      "registration policy must be open, invite or admin, got \"", ToAbsl(text), "\""));
}

std::string_view RegistrationPolicyName(RegistrationPolicy policy) {
  switch (policy) {
    case RegistrationPolicy::kOpen:
      return "open";
    case RegistrationPolicy::kInvite:
      return "invite";
    case RegistrationPolicy::kAdminOnly:
      return "admin";
  }
  return "unknown";
}

}  // namespace cmtp::keyserver
