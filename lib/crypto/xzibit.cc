#include "lib/crypto/xzibit.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/wire/serializer.h"

namespace cmtp::crypto {
namespace {

using std::string_view_literals::operator""sv;

// v1 (reference): u32 1 | salt[32] | u64 112 | ct[112].
constexpr uint32_t kVersion1 = 1;
constexpr size_t kV1SaltSize = 32;
constexpr size_t kV1SaltOffset = 4;
constexpr size_t kV1LengthOffset = kV1SaltOffset + kV1SaltSize;
constexpr size_t kV1CiphertextOffset = kV1LengthOffset + 8;

// v2: u32 2 | u8 kdf | u64 opslimit | u64 memlimit | salt[16] | nonce[24] |
//     u64 ct_len | ct.
constexpr uint32_t kVersion2 = 2;
constexpr uint8_t kKdfArgon2id13 = 1;
constexpr size_t kV2NonceSize = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kV2KdfOffset = 4;
constexpr size_t kV2OpslimitOffset = kV2KdfOffset + 1;
constexpr size_t kV2MemlimitOffset = kV2OpslimitOffset + 8;
constexpr size_t kV2SaltOffset = kV2MemlimitOffset + 8;
constexpr size_t kV2NonceOffset = kV2SaltOffset + kXzibitV2SaltSize;
constexpr size_t kV2LengthOffset = kV2NonceOffset + kV2NonceSize;
constexpr size_t kV2CiphertextOffset = kV2LengthOffset + 8;

// Both versions seal pk[32] | sk[64].
constexpr size_t kSealedPairSize = kPublicKeySize + kSecretKeySize;
constexpr size_t kV1CiphertextSize =
    kSealedPairSize + crypto_aead_chacha20poly1305_ABYTES;
constexpr size_t kV2CiphertextSize =
    kSealedPairSize + crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr size_t kXzibitV2Size = kV2CiphertextOffset + kV2CiphertextSize;
static_assert(kV1CiphertextOffset + kV1CiphertextSize == kXzibitV1Size);
static_assert(kV1CiphertextSize == 112);

// Argon2id output: [0..32] sealing key, [32..64] login seed.
constexpr size_t kSealingKeySize = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr size_t kKeyMaterialSize = kSealingKeySize + kSeedSize;
static_assert(crypto_aead_chacha20poly1305_KEYBYTES == 32);
static_assert(crypto_aead_chacha20poly1305_NPUBBYTES <= kV1SaltSize);
static_assert(crypto_pwhash_SALTBYTES == kXzibitV2SaltSize);

// A hostile server chooses the limits of a LOGIN challenge: cap what a
// client will spend at four times libsodium's SENSITIVE level.
constexpr uint64_t kMaxOpslimit = 4ull * crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE;
constexpr uint64_t kMaxMemlimit = 4ull * crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE;
constexpr uint64_t kMinOpslimit = crypto_pwhash_argon2id_OPSLIMIT_MIN;
constexpr uint64_t kMinMemlimit = crypto_pwhash_argon2id_MEMLIMIT_MIN;

constexpr std::string_view kV2AssociatedDataPrefix = "CMTP-XZIBIT-2\0"sv;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* Bytes(std::string& s) {
  return reinterpret_cast<unsigned char*>(s.data());
}

absl::Status CheckKdfLimits(uint64_t opslimit, uint64_t memlimit) {
  if (opslimit < kMinOpslimit || memlimit < kMinMemlimit) {
    return error::InvalidInput("xzibit KDF parameters are below the Argon2id minimum");
  }
  if (opslimit > kMaxOpslimit || memlimit > kMaxMemlimit) {
    return error::LimitExceeded(absl::StrCat(
        "xzibit KDF parameters exceed the ceiling (opslimit ", opslimit, " > ",
        kMaxOpslimit, " or memlimit ", memlimit, " > ", kMaxMemlimit, ")"));
  }
  return absl::OkStatus();
}

// The 64 bytes of Argon2id key material; wiped when dropped.
absl::StatusOr<SecretBytes> DeriveKeyMaterial(std::string_view password,
                                              std::string_view salt, uint64_t opslimit,
                                              uint64_t memlimit) {
  if (absl::Status limits = CheckKdfLimits(opslimit, memlimit); !limits.ok()) {
    return limits;
  }
  if (salt.size() != kXzibitV2SaltSize) {
    return error::InvalidInput("an xzibit v2 salt is 16 bytes");
  }
  EnsureSodium();
  std::string key_material(kKeyMaterialSize, '\0');
  if (crypto_pwhash(Bytes(key_material), key_material.size(), password.data(),
                    password.size(), Bytes(salt), opslimit, static_cast<size_t>(memlimit),
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return error::Unavailable("Argon2id failed (not enough memory for its cost?)");
  }
  return SecretBytes(std::move(key_material));
}

// Checks that the 96 opened bytes are a consistent pk | sk and returns them
// as a key pair.
absl::StatusOr<KeyPair> KeyPairFromOpenedBytes(std::string_view opened) {
  const std::string_view public_key = opened.substr(0, kPublicKeySize);
  absl::StatusOr<KeyPair> pair = KeyPairFromSecretKey(opened.substr(kPublicKeySize));
  if (!pair.ok()) {
    return error::CryptoFailure("xzibit holds an inconsistent secret key");
  }
  if (sodium_memcmp(pair->public_key.data(), public_key.data(), kPublicKeySize) != 0) {
    return error::CryptoFailure("xzibit's public key does not match its secret key");
  }
  return pair;
}

absl::StatusOr<KeyPair> OpenV1(std::string_view xzibit, std::string_view password) {
  const std::string_view salt = xzibit.substr(kV1SaltOffset, kV1SaltSize);
  const std::string_view ciphertext = xzibit.substr(kV1CiphertextOffset);

  std::string key_buffer(crypto_aead_chacha20poly1305_KEYBYTES, '\0');
  if (crypto_pwhash_scryptsalsa208sha256(
          Bytes(key_buffer), key_buffer.size(), password.data(), password.size(),
          Bytes(salt), crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_INTERACTIVE,
          crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_INTERACTIVE) != 0) {
    return error::Unavailable("scrypt failed (not enough memory?)");
  }
  const SecretBytes key(std::move(key_buffer));

  std::string opened_buffer(kSealedPairSize, '\0');
  unsigned long long opened_size = 0;
  // The reference used the original (8-byte nonce) ChaCha20-Poly1305, with
  // the first 8 salt bytes as its nonce and no associated data.
  const int rc = crypto_aead_chacha20poly1305_decrypt(
      Bytes(opened_buffer), &opened_size, nullptr, Bytes(ciphertext), ciphertext.size(),
      nullptr, 0, Bytes(salt), Bytes(key.view()));
  const SecretBytes opened(std::move(opened_buffer));
  if (rc != 0 || opened_size != kSealedPairSize) {
    return error::CryptoFailure("wrong password or damaged key file");
  }
  return KeyPairFromOpenedBytes(opened.view());
}

std::string V2AssociatedData(std::string_view address) {
  std::string associated(kV2AssociatedDataPrefix);
  associated.append(address);
  return associated;
}

absl::StatusOr<KeyPair> OpenV2(std::string_view xzibit, const XzibitInfo& info,
                               std::string_view password, std::string_view address) {
  absl::StatusOr<SecretBytes> key_material =
      DeriveKeyMaterial(password, info.salt, info.opslimit, info.memlimit);
  if (!key_material.ok()) return key_material.status();

  const std::string_view nonce = xzibit.substr(kV2NonceOffset, kV2NonceSize);
  const std::string_view ciphertext = xzibit.substr(kV2CiphertextOffset);
  const std::string associated = V2AssociatedData(address);
  std::string opened_buffer(kSealedPairSize, '\0');
  unsigned long long opened_size = 0;
  const int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
      Bytes(opened_buffer), &opened_size, nullptr, Bytes(ciphertext), ciphertext.size(),
      Bytes(associated), associated.size(), Bytes(nonce), Bytes(key_material->view()));
  const SecretBytes opened(std::move(opened_buffer));
  if (rc != 0 || opened_size != kSealedPairSize) {
    return error::CryptoFailure("wrong password, wrong account, or damaged key file");
  }
  return KeyPairFromOpenedBytes(opened.view());
}

std::pair<uint64_t, uint64_t> LimitsFor(KdfCost cost) {
  switch (cost) {
    case KdfCost::kInteractive:
      return {crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
              crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
    case KdfCost::kModerate:
      return {crypto_pwhash_argon2id_OPSLIMIT_MODERATE,
              crypto_pwhash_argon2id_MEMLIMIT_MODERATE};
    case KdfCost::kSensitive:
      return {crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE,
              crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE};
  }
  std::fprintf(stderr, "fatal: unknown KdfCost %d\n", static_cast<int>(cost));
  std::abort();
}

}  // namespace

absl::StatusOr<XzibitInfo> InspectXzibit(std::string_view xzibit) {
  if (xzibit.size() < 4) return error::InvalidInput("xzibit is shorter than its version");
  XzibitInfo info;
  info.version = wire::ReadU32(xzibit.data());
  if (info.version == kVersion1) {
    if (xzibit.size() != kXzibitV1Size) {
      return error::InvalidInput("an xzibit v1 is exactly 156 bytes");
    }
    if (wire::ReadU64(xzibit.data() + kV1LengthOffset) != kV1CiphertextSize) {
      return error::InvalidInput("xzibit v1 ciphertext length is not 112");
    }
    info.salt = std::string(xzibit.substr(kV1SaltOffset, kV1SaltSize));
    return info;
  }
  if (info.version == kVersion2) {
    if (xzibit.size() != kXzibitV2Size) {
      return error::InvalidInput(
          absl::StrCat("an xzibit v2 is exactly ", kXzibitV2Size, " bytes"));
    }
    if (static_cast<uint8_t>(xzibit[kV2KdfOffset]) != kKdfArgon2id13) {
      return error::InvalidInput("xzibit v2 names an unknown KDF");
    }
    if (wire::ReadU64(xzibit.data() + kV2LengthOffset) != kV2CiphertextSize) {
      return error::InvalidInput("xzibit v2 ciphertext length is not 112");
    }
    info.opslimit = wire::ReadU64(xzibit.data() + kV2OpslimitOffset);
    info.memlimit = wire::ReadU64(xzibit.data() + kV2MemlimitOffset);
    if (absl::Status limits = CheckKdfLimits(info.opslimit, info.memlimit);
        !limits.ok()) {
      return limits;
    }
    info.salt = std::string(xzibit.substr(kV2SaltOffset, kXzibitV2SaltSize));
    return info;
  }
  return error::InvalidInput(absl::StrCat("unknown xzibit version ", info.version));
}

absl::StatusOr<KeyPair> OpenXzibit(std::string_view xzibit, std::string_view password,
                                   std::string_view address) {
  EnsureSodium();
  absl::StatusOr<XzibitInfo> info = InspectXzibit(xzibit);
  if (!info.ok()) return info.status();
  if (info->version == kVersion1) return OpenV1(xzibit, password);
  return OpenV2(xzibit, *info, password, address);
}

absl::StatusOr<SealedXzibit> SealXzibitV2(const KeyPair& identity,
                                          std::string_view password,
                                          std::string_view address, KdfCost cost) {
  EnsureSodium();
  if (identity.public_key.size() != kPublicKeySize ||
      identity.secret_key.size() != kSecretKeySize) {
    return error::InvalidInput("identity key pair has the wrong sizes");
  }
  const auto [opslimit, memlimit] = LimitsFor(cost);
  const std::string salt = RandomBytes(kXzibitV2SaltSize);
  const std::string nonce = RandomBytes(kV2NonceSize);
  absl::StatusOr<SecretBytes> key_material =
      DeriveKeyMaterial(password, salt, opslimit, memlimit);
  if (!key_material.ok()) return key_material.status();

  std::string plaintext_buffer = identity.public_key;
  plaintext_buffer.append(identity.secret_key.view());
  const SecretBytes plaintext(std::move(plaintext_buffer));
  const std::string associated = V2AssociatedData(address);

  std::string ciphertext(kV2CiphertextSize, '\0');
  unsigned long long ciphertext_size = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      Bytes(ciphertext), &ciphertext_size, Bytes(plaintext.view()), plaintext.size(),
      Bytes(associated), associated.size(), nullptr, Bytes(nonce),
      Bytes(key_material->view()));
  if (ciphertext_size != kV2CiphertextSize) {
    std::fprintf(stderr, "fatal: XChaCha20-Poly1305 produced %llu bytes, expected %zu\n",
                 ciphertext_size, kV2CiphertextSize);
    std::abort();
  }

  SealedXzibit sealed;
  sealed.bytes.reserve(kXzibitV2Size);
  wire::AppendU32(sealed.bytes, kVersion2);
  sealed.bytes.push_back(static_cast<char>(kKdfArgon2id13));
  wire::AppendU64(sealed.bytes, opslimit);
  wire::AppendU64(sealed.bytes, memlimit);
  sealed.bytes.append(salt);
  sealed.bytes.append(nonce);
  wire::AppendU64(sealed.bytes, kV2CiphertextSize);
  sealed.bytes.append(ciphertext);
  sealed.login_key = KeyPairFromSeed(key_material->view().substr(kSealingKeySize));
  return sealed;
}

absl::StatusOr<KeyPair> DeriveLoginKey(std::string_view password, std::string_view salt,
                                       uint64_t opslimit, uint64_t memlimit) {
  absl::StatusOr<SecretBytes> key_material =
      DeriveKeyMaterial(password, salt, opslimit, memlimit);
  if (!key_material.ok()) return key_material.status();
  return KeyPairFromSeed(key_material->view().substr(kSealingKeySize));
}

KdfCost KdfCostFromEnvironment() {
  const char* value = std::getenv("CMTP_KDF_COST");
  if (value == nullptr || *value == '\0') return KdfCost::kModerate;
  const std::string_view name(value);
  if (name == "interactive") return KdfCost::kInteractive;
  if (name == "moderate") return KdfCost::kModerate;
  if (name == "sensitive") return KdfCost::kSensitive;
  std::fprintf(stderr,
               "warning: CMTP_KDF_COST=%s is not interactive|moderate|sensitive; "
               "using moderate\n",
               value);
  return KdfCost::kModerate;
}

}  // namespace cmtp::crypto
