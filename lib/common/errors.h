// The one factory for errors the suite reports. Every failure a peer can see
// starts here, so codes stay consistent from the wire to gRPC and the CLIs.
#ifndef CMTP_LIB_COMMON_ERRORS_H_
#define CMTP_LIB_COMMON_ERRORS_H_

#include <string_view>

#include "absl/status/status.h"

namespace cmtp::error {

// Malformed input from a peer or a caller.
absl::Status InvalidInput(std::string_view reason);
// A configured limit was exceeded (sizes, counts, rates).
absl::Status LimitExceeded(std::string_view reason);
// A named thing does not exist (account, message).
absl::Status NotFound(std::string_view reason);
// The thing to create exists already.
absl::Status AlreadyExists(std::string_view reason);
// The caller has not proved who they are, or the proof failed.
absl::Status Unauthenticated(std::string_view reason);
// The caller is known but policy forbids the operation.
absl::Status PermissionDenied(std::string_view reason);
// A dependency (Redis, another service, a peer) is unreachable or failed;
// retrying later may succeed.
absl::Status Unavailable(std::string_view reason);
// Our own invariant broke or a library failed in a way that is not the
// caller's fault.
absl::Status Internal(std::string_view reason);
// A cryptographic check failed (bad signature, wrong password, tampered data).
absl::Status CryptoFailure(std::string_view reason);

}  // namespace cmtp::error

#endif  // CMTP_LIB_COMMON_ERRORS_H_
