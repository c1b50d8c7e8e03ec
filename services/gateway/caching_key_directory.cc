#include "services/gateway/caching_key_directory.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"

namespace cmtp::gateway {

CachingKeyDirectory::CachingKeyDirectory(KeyDirectory& directory, KeyBlockCache& cache)
    : directory_(directory), cache_(cache) {}

asio::awaitable<absl::StatusOr<KeyBlock>> CachingKeyDirectory::GetServerKey() {
  absl::StatusOr<KeyBlock> key = co_await directory_.GetServerKey();
  co_return key;
}

asio::awaitable<absl::StatusOr<KeyBlock>> CachingKeyDirectory::GetAccountKey(
    std::string account) {
  if (std::optional<KeyBlockCache::Hit> hit = cache_.Find(account); hit.has_value()) {
    if (hit->block.has_value()) co_return std::move(*hit->block);
    co_return error::NotFound(absl::StrCat("no account ", account, " on this server"));
  }
  absl::StatusOr<KeyBlock> key = co_await directory_.GetAccountKey(account);
  if (key.ok()) {
    cache_.RememberBlock(account, *key);
  } else if (absl::IsNotFound(key.status())) {
    // Only the keyserver's "no such account" is kept: an outage must not be
    // remembered as a missing account.
    cache_.RememberNotAvailable(account);
  }
  co_return key;
}

asio::awaitable<absl::Status> CachingKeyDirectory::Register(Registration registration) {
  std::string account = registration.account;
  absl::Status registered = co_await directory_.Register(std::move(registration));
  if (registered.ok()) cache_.Forget(account);
  co_return registered;
}

asio::awaitable<absl::StatusOr<LoginStart>> CachingKeyDirectory::BeginLogin(
    std::string account, std::string peer) {
  absl::StatusOr<LoginStart> start =
      co_await directory_.BeginLogin(std::move(account), std::move(peer));
  co_return start;
}

asio::awaitable<absl::StatusOr<SignedXzibit>> CachingKeyDirectory::CompleteLogin(
    ChallengeProof proof) {
  absl::StatusOr<SignedXzibit> signed_xzibit =
      co_await directory_.CompleteLogin(std::move(proof));
  co_return signed_xzibit;
}

asio::awaitable<absl::Status> CachingKeyDirectory::VerifyAuth(ChallengeProof proof) {
  absl::Status verified = co_await directory_.VerifyAuth(std::move(proof));
  co_return verified;
}

}  // namespace cmtp::gateway
