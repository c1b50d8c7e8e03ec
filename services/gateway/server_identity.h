// The gateway signs with the keyserver's key: it reads the same file, which
// the keyserver creates on its first start, and checks that both agree.
#ifndef CMTP_SERVICES_GATEWAY_SERVER_IDENTITY_H_
#define CMTP_SERVICES_GATEWAY_SERVER_IDENTITY_H_

#include <asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/crypto/sodium.h"
#include "services/gateway/backends.h"

namespace cmtp::gateway {

// Loads the server key, waiting up to `patience` for the keyserver to create
// the file when both start together. The last error, with the path, after.
absl::StatusOr<crypto::KeyPair> LoadServerKeyWaiting(const std::string& path,
                                                     std::chrono::milliseconds patience);

// OkStatus when the keyserver publishes `public_key` as the server key;
// Internal when it publishes another one (two different key
// files: clients would see two identities); the call's error when the
// keyserver cannot be asked.
asio::awaitable<absl::Status> CheckKeyserverAgrees(KeyDirectory& keys,
                                                   std::string public_key);

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_SERVER_IDENTITY_H_
