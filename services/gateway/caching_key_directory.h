// A KeyDirectory that answers local account keys from a KeyBlockCache and
// asks the directory behind it only on a miss. Everything else goes straight
// through. A REGISTER through this gateway drops what was kept for that
// account, so a negative entry never hides an account registered here.
#ifndef CMTP_SERVICES_GATEWAY_CACHING_KEY_DIRECTORY_H_
#define CMTP_SERVICES_GATEWAY_CACHING_KEY_DIRECTORY_H_

#include <string>

#include "services/gateway/backends.h"
#include "services/gateway/key_block_cache.h"

namespace cmtp::gateway {

class CachingKeyDirectory : public KeyDirectory {
 public:
  // Both must outlive this directory.
  CachingKeyDirectory(KeyDirectory& directory, KeyBlockCache& cache);

  asio::awaitable<absl::StatusOr<KeyBlock>> GetServerKey() override;
  asio::awaitable<absl::StatusOr<KeyBlock>> GetAccountKey(std::string account) override;
  asio::awaitable<absl::Status> Register(Registration registration) override;
  asio::awaitable<absl::StatusOr<LoginStart>> BeginLogin(std::string account,
                                                         std::string peer) override;
  asio::awaitable<absl::StatusOr<SignedXzibit>> CompleteLogin(
      ChallengeProof proof) override;
  asio::awaitable<absl::Status> VerifyAuth(ChallengeProof proof) override;

 private:
  KeyDirectory& directory_;
  KeyBlockCache& cache_;
};

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_CACHING_KEY_DIRECTORY_H_
