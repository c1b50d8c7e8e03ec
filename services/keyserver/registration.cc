#include "services/keyserver/registration.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/crypto/protocol_signatures.h"
#include "lib/crypto/sodium.h"
#include "lib/crypto/xzibit.h"
#include "lib/wire/limits.h"

namespace cmtp::keyserver {
namespace {

bool AllZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == '\0'; });
}

}  // namespace

std::string SignedLoginPublicKey(std::string_view login_public_key) {
  if (login_public_key.empty()) return std::string(crypto::kPublicKeySize, '\0');
  return std::string(login_public_key);
}

absl::StatusOr<AccountRecord> CheckRegistrationContents(const Registration& request,
                                                        bool allow_missing_xzibit) {
  if (request.public_key.size() != crypto::kPublicKeySize) {
    return error::InvalidInput(absl::StrCat("the public key must be ",
                                            crypto::kPublicKeySize, " bytes, got ",
                                            request.public_key.size()));
  }
  const std::string& login_pk = request.login_public_key;
  if (!login_pk.empty() && login_pk.size() != crypto::kPublicKeySize) {
    return error::InvalidInput(absl::StrCat("the login public key must be ",
                                            crypto::kPublicKeySize, " bytes, got ",
                                            login_pk.size()));
  }
  const bool has_login_key = !login_pk.empty() && !AllZero(login_pk);

  AccountRecord record;
  record.name = request.account;
  record.public_key = request.public_key;
  if (request.xzibit.empty()) {
    if (!allow_missing_xzibit) return error::InvalidInput("the xzibit is missing");
    if (has_login_key) {
      return error::InvalidInput("a login key needs the v2 xzibit it belongs to");
    }
    return record;
  }
  const uint32_t max_xzibit = wire::Limits().max_xzibit;
  if (request.xzibit.size() > max_xzibit) {
    return error::InvalidInput(
        absl::StrCat("the xzibit is larger than ", max_xzibit, " bytes"));
  }
  absl::StatusOr<crypto::XzibitInfo> info = crypto::InspectXzibit(request.xzibit);
  if (!info.ok()) {
    return error::InvalidInput(
        absl::StrCat("the xzibit does not parse: ", info.status().message()));
  }
  switch (info->version) {
    case 1:
      if (has_login_key) {
        return error::InvalidInput("a v1 xzibit has no login key: send 32 zero bytes");
      }
      break;
    case 2:
      if (!has_login_key) {
        return error::InvalidInput("a v2 xzibit needs its login public key");
      }
      record.login_public_key = login_pk;
      break;
    default:
      return error::InvalidInput(
          absl::StrCat("xzibit version ", info->version, " is not supported"));
  }
  record.xzibit = request.xzibit;
  record.xzibit_version = info->version;
  return record;
}

absl::Status VerifyProofOfPossession(const Registration& request) {
  std::string signed_bytes = crypto::RegisterSignedBytes(
      request.account, request.domain, request.public_key,
      SignedLoginPublicKey(request.login_public_key), request.xzibit);
  if (!crypto::Verify(request.public_key, signed_bytes, request.signature)) {
    return error::Unauthenticated(
        "the registration signature does not verify with the public key");
  }
  return absl::OkStatus();
}

}  // namespace cmtp::keyserver
