// Primitive operations over libsodium used by every CMTP format. All keys are
// passed as raw bytes in std::string / std::string_view; secret material is
// held in SecretBytes, which wipes itself.
#ifndef CMTP_LIB_CRYPTO_SODIUM_H_
#define CMTP_LIB_CRYPTO_SODIUM_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cmtp::crypto {

inline constexpr size_t kPublicKeySize = 32;   // Ed25519
inline constexpr size_t kSecretKeySize = 64;   // Ed25519, libsodium layout seed||pk
inline constexpr size_t kSeedSize = 32;
inline constexpr size_t kSignatureSize = 64;
inline constexpr size_t kHashSize = 32;        // BLAKE2b-256
inline constexpr size_t kChallengeSize = 32;

// Calls sodium_init() once; crashes loudly if libsodium cannot start, since
// nothing in the suite can run without it.
void EnsureSodium();

// A byte string that is zeroed when destroyed. Movable, not copyable.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::string bytes) : bytes_(std::move(bytes)) {}
  ~SecretBytes();
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  std::string_view view() const { return bytes_; }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

 private:
  std::string bytes_;
};

struct KeyPair {
  std::string public_key;  // 32
  SecretBytes secret_key;  // 64
};

KeyPair GenerateKeyPair();
KeyPair KeyPairFromSeed(std::string_view seed);  // seed: 32 bytes
// Rebuilds a KeyPair from a 64-byte libsodium secret key (its last 32 bytes
// are the public key).
absl::StatusOr<KeyPair> KeyPairFromSecretKey(std::string_view secret_key);

std::string RandomBytes(size_t n);

std::string Sign(std::string_view secret_key, std::string_view message);
bool Verify(std::string_view public_key, std::string_view message,
            std::string_view signature);

// BLAKE2b-256 of `data`.
std::string Hash(std::string_view data);

// Incremental BLAKE2b-256.
class Hasher {
 public:
  Hasher();
  void Update(std::string_view data);
  std::string Finish();  // 32 bytes; the hasher is spent afterwards

 private:
  alignas(64) unsigned char state_[384];
};

std::string ToHex(std::string_view bytes);
absl::StatusOr<std::string> FromHex(std::string_view hex);

}  // namespace cmtp::crypto

#endif  // CMTP_LIB_CRYPTO_SODIUM_H_
