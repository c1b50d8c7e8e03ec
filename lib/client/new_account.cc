#include "lib/client/new_account.h"

#include <utility>

#include "lib/crypto/protocol_signatures.h"

namespace cmtp::client {

absl::StatusOr<NewAccount> MakeNewAccount(const MailAddress& address,
                                          std::string_view password,
                                          crypto::KdfCost cost) {
  crypto::EnsureSodium();
  NewAccount account;
  account.identity = crypto::GenerateKeyPair();
  absl::StatusOr<crypto::SealedXzibit> sealed =
      crypto::SealXzibitV2(account.identity, password, address.ToString(), cost);
  if (!sealed.ok()) return sealed.status();
  account.xzibit = std::move(sealed->bytes);
  account.login_public_key = sealed->login_key.public_key;
  account.signature =
      crypto::Sign(account.identity.secret_key.view(),
                   crypto::RegisterSignedBytes(address.account, address.domain,
                                               account.identity.public_key,
                                               account.login_public_key, account.xzibit));
  return account;
}

}  // namespace cmtp::client
