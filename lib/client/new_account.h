// A new account's keys, made on the user's (or operator's) machine: the
// Ed25519 identity, its v2 xzibit sealed with the password, and the REGISTER
// proof of possession. The unsealed secret key never leaves this process.
#ifndef CMTP_LIB_CLIENT_NEW_ACCOUNT_H_
#define CMTP_LIB_CLIENT_NEW_ACCOUNT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/client/mail_address.h"
#include "lib/crypto/sodium.h"
#include "lib/crypto/xzibit.h"

namespace cmtp::client {

struct NewAccount {
  crypto::KeyPair identity;
  std::string xzibit;            // v2
  std::string login_public_key;  // derived from the password, for v2 LOGIN
  std::string signature;         // REGISTER proof by the identity key
};

absl::StatusOr<NewAccount> MakeNewAccount(const MailAddress& address,
                                          std::string_view password,
                                          crypto::KdfCost cost);

}  // namespace cmtp::client

#endif  // CMTP_LIB_CLIENT_NEW_ACCOUNT_H_
