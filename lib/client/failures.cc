#include "lib/client/failures.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"

namespace cmtp::client {

absl::Status ServerRefusal(std::string_view command, std::string_view reason) {
  return error::PermissionDenied(
      absl::StrCat("the server refused ", ToAbsl(command), ": ", ToAbsl(reason)));
}

bool IsCryptoFailure(const absl::Status& status) {
  // error::CryptoFailure is the only factory that produces this prefix; the
  // probe keeps the two in step without a second error vocabulary.
  static const std::string prefix = [] {
    const absl::Status probe = error::CryptoFailure("");
    return std::string(probe.message());
  }();
  return status.code() == error::CryptoFailure("").code() &&
         absl::StartsWith(status.message(), prefix);
}

}  // namespace cmtp::client
