// The sealed key pair ("xzibit"): v1 (reference, read only) and v2 (ours).
// See docs/protocol.md for the bytes.
#ifndef CMTP_LIB_CRYPTO_XZIBIT_H_
#define CMTP_LIB_CRYPTO_XZIBIT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/crypto/sodium.h"

namespace cmtp::crypto {

inline constexpr size_t kXzibitV1Size = 156;
inline constexpr size_t kXzibitV2SaltSize = 16;

enum class KdfCost {
  kInteractive,  // tests only (CMTP_KDF_COST=interactive)
  kModerate,     // the default
  kSensitive,
};

// What a server may learn from an xzibit without the password.
struct XzibitInfo {
  uint32_t version = 0;
  std::string salt;      // v1: 32 bytes, v2: 16 bytes
  uint64_t opslimit = 0; // v2
  uint64_t memlimit = 0; // v2
};

// Validates the layout (version, sizes, lengths) and returns the header.
absl::StatusOr<XzibitInfo> InspectXzibit(std::string_view xzibit);

// Opens v1 or v2 with the password. `address` (account@domain) is the v2
// associated data; v1 ignores it. Refuses v2 KDF parameters above the
// documented ceiling.
absl::StatusOr<KeyPair> OpenXzibit(std::string_view xzibit,
                                   std::string_view password,
                                   std::string_view address);

struct SealedXzibit {
  std::string bytes;
  KeyPair login_key;  // derived from the password; its public key goes to REGISTER
};

absl::StatusOr<SealedXzibit> SealXzibitV2(const KeyPair& identity,
                                          std::string_view password,
                                          std::string_view address, KdfCost cost);

// The v2 login key for a LOGIN challenge (salt and limits from the server).
absl::StatusOr<KeyPair> DeriveLoginKey(std::string_view password,
                                       std::string_view salt, uint64_t opslimit,
                                       uint64_t memlimit);

// Reads CMTP_KDF_COST (interactive|moderate|sensitive); moderate when unset.
KdfCost KdfCostFromEnvironment();

}  // namespace cmtp::crypto

#endif  // CMTP_LIB_CRYPTO_XZIBIT_H_
