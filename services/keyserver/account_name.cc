#include "services/keyserver/account_name.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"

namespace cmtp::keyserver {

absl::Status ValidateAccountName(std::string_view name) {
  if (name.empty()) return error::InvalidInput("account name is empty");
  if (name.size() > kMaxAccountNameBytes) {
    return error::InvalidInput(
        absl::StrCat("account name is longer than ", kMaxAccountNameBytes, " bytes"));
  }
  for (char c : name) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
        c == '-') {
      continue;
    }
    if (c >= 'A' && c <= 'Z') {
      return error::InvalidInput("account names are lower-case");
    }
    return error::InvalidInput(
        "account names may contain only a-z, 0-9, '.', '_' and '-'");
  }
  return absl::OkStatus();
}

bool SameDomain(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(ToAbsl(a), ToAbsl(b));
}

absl::Status CheckServedDomain(std::string_view requested, std::string_view served) {
  if (SameDomain(requested, served)) return absl::OkStatus();
  return error::PermissionDenied(absl::StrCat("this server serves ", ToAbsl(served)));
}

}  // namespace cmtp::keyserver
