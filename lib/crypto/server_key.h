// The server's Ed25519 identity, kept in a file (a Kubernetes Secret in
// production): 64 bytes, libsodium layout, mode 0600.
#ifndef CMTP_LIB_CRYPTO_SERVER_KEY_H_
#define CMTP_LIB_CRYPTO_SERVER_KEY_H_

#include <string>

#include "absl/status/statusor.h"
#include "lib/crypto/sodium.h"

namespace cmtp::crypto {

// Loads the key; fails with a clear message when the file is missing,
// unreadable, of the wrong size, or inconsistent (public half mismatch).
absl::StatusOr<KeyPair> LoadServerKey(const std::string& path);

// Loads the key, or creates it when the file does not exist. Creation is
// atomic (write to a temporary file, then link): two processes racing both
// end up with the same key.
absl::StatusOr<KeyPair> LoadOrCreateServerKey(const std::string& path);

}  // namespace cmtp::crypto

#endif  // CMTP_LIB_CRYPTO_SERVER_KEY_H_
