// Builders for keyserver tests: registrations made the way a client makes
// them (fresh identity key, v2 xzibit sealed with the cheap test KDF cost,
// proof of possession signed by the identity key).
#ifndef CMTP_TESTS_UNIT_KEYSERVER_TEST_ACCOUNTS_H_
#define CMTP_TESTS_UNIT_KEYSERVER_TEST_ACCOUNTS_H_

#include <cstdlib>
#include <string>

#include "lib/crypto/protocol_signatures.h"
#include "lib/crypto/sodium.h"
#include "lib/crypto/xzibit.h"
#include "services/keyserver/registration.h"

namespace cmtp::keyserver::test {

// The domain the keyserver under test serves.
inline constexpr char kDomain[] = "example.org";

struct NewUser {
  std::string password;
  crypto::KeyPair identity;
  crypto::KeyPair login_key;
  Registration request;
};

inline std::string SignRegistration(const crypto::KeyPair& identity,
                                    const Registration& request) {
  return crypto::Sign(
      identity.secret_key.view(),
      crypto::RegisterSignedBytes(request.account, request.domain, request.public_key,
                                  SignedLoginPublicKey(request.login_public_key),
                                  request.xzibit));
}

inline NewUser MakeV2User(const std::string& account, const std::string& domain,
                          const std::string& password = "correct horse battery") {
  NewUser user;
  user.password = password;
  user.identity = crypto::GenerateKeyPair();
  absl::StatusOr<crypto::SealedXzibit> sealed = crypto::SealXzibitV2(
      user.identity, password, account + "@" + domain, crypto::KdfCost::kInteractive);
  if (!sealed.ok()) std::abort();  // the crypto library's own tests cover this
  user.login_key = std::move(sealed->login_key);
  user.request.account = account;
  user.request.domain = domain;
  user.request.public_key = user.identity.public_key;
  user.request.xzibit = sealed->bytes;
  user.request.login_public_key = user.login_key.public_key;
  user.request.signature = SignRegistration(user.identity, user.request);
  return user;
}

}  // namespace cmtp::keyserver::test

#endif  // CMTP_TESTS_UNIT_KEYSERVER_TEST_ACCOUNTS_H_
