#include "services/gateway/server_identity.h"

#include <thread>
#include <utility>

#include "lib/common/errors.h"
#include "lib/crypto/server_key.h"

namespace cmtp::gateway {

absl::StatusOr<crypto::KeyPair> LoadServerKeyWaiting(const std::string& path,
                                                     std::chrono::milliseconds patience) {
  constexpr auto kRetry = std::chrono::milliseconds(100);
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (true) {
    absl::StatusOr<crypto::KeyPair> key = crypto::LoadServerKey(path);
    if (key.ok() || std::chrono::steady_clock::now() >= deadline) return key;
    // Start-up only, before any connection exists: sleeping blocks no one.
    std::this_thread::sleep_for(kRetry);
  }
}

asio::awaitable<absl::Status> CheckKeyserverAgrees(KeyDirectory& keys,
                                                   std::string public_key) {
  absl::StatusOr<KeyBlock> published = co_await keys.GetServerKey();
  if (!published.ok()) co_return published.status();
  if (published->public_key != public_key) {
    co_return error::Internal(
        "the keyserver's server key differs from --server-key-file: point both at "
        "the same file");
  }
  co_return absl::OkStatus();
}

}  // namespace cmtp::gateway
