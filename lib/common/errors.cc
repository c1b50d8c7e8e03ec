#include "lib/common/errors.h"

#include <string>

#include "lib/common/strings.h"

namespace cmtp::error {

absl::Status InvalidInput(std::string_view reason) {
  return absl::InvalidArgumentError(ToAbsl(reason));
}
absl::Status LimitExceeded(std::string_view reason) {
  return absl::ResourceExhaustedError(ToAbsl(reason));
}
absl::Status NotFound(std::string_view reason) {
  return absl::NotFoundError(ToAbsl(reason));
}
absl::Status AlreadyExists(std::string_view reason) {
  return absl::AlreadyExistsError(ToAbsl(reason));
}
absl::Status Unauthenticated(std::string_view reason) {
  return absl::UnauthenticatedError(ToAbsl(reason));
}
absl::Status PermissionDenied(std::string_view reason) {
  return absl::PermissionDeniedError(ToAbsl(reason));
}
absl::Status Unavailable(std::string_view reason) {
  return absl::UnavailableError(ToAbsl(reason));
}
absl::Status Internal(std::string_view reason) {
  return absl::InternalError(ToAbsl(reason));
}
absl::Status CryptoFailure(std::string_view reason) {
  return absl::UnauthenticatedError(std::string("cryptographic check failed: ") +
                                    std::string(reason));
}

}  // namespace cmtp::error
