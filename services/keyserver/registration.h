// What a request to create an account must satisfy before anything is
// stored: well-formed keys, an xzibit that parses, a login key matching the
// xzibit's version, and proof that the registrant holds the identity key it
// asks the server to publish (docs/protocol.md, REGISTER).
#ifndef CMTP_SERVICES_KEYSERVER_REGISTRATION_H_
#define CMTP_SERVICES_KEYSERVER_REGISTRATION_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/keyserver/account_store.h"

namespace cmtp::keyserver {

// A request to create an account, as REGISTER and the operator API carry it.
struct Registration {
  std::string account;
  std::string domain;
  std::string public_key;        // Ed25519, 32 bytes
  std::string xzibit;            // v1 or v2
  std::string login_public_key;  // 32 bytes for v2; empty or all zero for v1
  std::string invite_token;      // the invite policy only
  std::string signature;         // proof of possession, 64 bytes
};

// Checks sizes and the xzibit and returns the record to store (created_ms
// left 0). `allow_missing_xzibit` is for imports of reference accounts that
// never had one. Does not look at the account name, domain or signature.
absl::StatusOr<AccountRecord> CheckRegistrationContents(const Registration& request,
                                                        bool allow_missing_xzibit);

// The login key as the signed bytes and the wire carry it: the 32 given
// bytes, or 32 zero bytes when there is none (v1).
std::string SignedLoginPublicKey(std::string_view login_public_key);

// Unauthenticated unless `request.signature` is the identity key's signature
// over RegisterSignedBytes(account, domain, pk, login_pk, xzibit).
absl::Status VerifyProofOfPossession(const Registration& request);

}  // namespace cmtp::keyserver

#endif  // CMTP_SERVICES_KEYSERVER_REGISTRATION_H_
