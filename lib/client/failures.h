// How the client side tells apart the three ways an operation fails, which
// the CLIs turn into exit codes: the server (or the network) refused, a
// cryptographic check failed, or the caller asked for something malformed.
#ifndef CMTP_LIB_CLIENT_FAILURES_H_
#define CMTP_LIB_CLIENT_FAILURES_H_

#include <string_view>

#include "absl/status/status.h"

namespace cmtp::client {

// A signed FAILURE status from the server, carrying its reason verbatim so
// the user sees what the server said.
absl::Status ServerRefusal(std::string_view command, std::string_view reason);

// True for errors made by error::CryptoFailure anywhere in the suite (bad
// signature, wrong password, tampered ciphertext).
bool IsCryptoFailure(const absl::Status& status);

}  // namespace cmtp::client

#endif  // CMTP_LIB_CLIENT_FAILURES_H_
