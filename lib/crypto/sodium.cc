#include "lib/crypto/sodium.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "lib/common/errors.h"

namespace cmtp::crypto {

static_assert(crypto_sign_PUBLICKEYBYTES == kPublicKeySize);
static_assert(crypto_sign_SECRETKEYBYTES == kSecretKeySize);
static_assert(crypto_sign_SEEDBYTES == kSeedSize);
static_assert(crypto_sign_BYTES == kSignatureSize);

void EnsureSodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) {
      std::fprintf(stderr, "fatal: libsodium failed to initialise\n");
      std::abort();
    }
  });
}

SecretBytes::~SecretBytes() {
  if (!bytes_.empty()) sodium_memzero(bytes_.data(), bytes_.size());
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
  other.bytes_.clear();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    if (!bytes_.empty()) sodium_memzero(bytes_.data(), bytes_.size());
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

static unsigned char* U(std::string& s) {
  return reinterpret_cast<unsigned char*>(s.data());
}
static const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

KeyPair GenerateKeyPair() {
  EnsureSodium();
  std::string pk(kPublicKeySize, '\0');
  std::string sk(kSecretKeySize, '\0');
  crypto_sign_keypair(U(pk), U(sk));
  return KeyPair{std::move(pk), SecretBytes(std::move(sk))};
}

KeyPair KeyPairFromSeed(std::string_view seed) {
  EnsureSodium();
  if (seed.size() != kSeedSize) {  // callers pass fixed-size seeds
    std::fprintf(stderr, "fatal: KeyPairFromSeed given a %zu-byte seed\n", seed.size());
    std::abort();
  }
  std::string pk(kPublicKeySize, '\0');
  std::string sk(kSecretKeySize, '\0');
  crypto_sign_seed_keypair(U(pk), U(sk), U(seed));
  return KeyPair{std::move(pk), SecretBytes(std::move(sk))};
}

absl::StatusOr<KeyPair> KeyPairFromSecretKey(std::string_view secret_key) {
  EnsureSodium();
  if (secret_key.size() != kSecretKeySize) {
    return error::InvalidInput("an Ed25519 secret key is 64 bytes");
  }
  // Rebuild from the seed and check that the stored public half agrees, so a
  // corrupted key file is caught here rather than as bad signatures later.
  KeyPair rebuilt = KeyPairFromSeed(secret_key.substr(0, kSeedSize));
  if (sodium_memcmp(rebuilt.public_key.data(), secret_key.data() + kSeedSize,
                    kPublicKeySize) != 0) {
    return error::InvalidInput("secret key's public half does not match its seed");
  }
  return rebuilt;
}

std::string RandomBytes(size_t n) {
  EnsureSodium();
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

std::string Sign(std::string_view secret_key, std::string_view message) {
  EnsureSodium();
  if (secret_key.size() != kSecretKeySize) {  // a KeyPair invariant
    std::fprintf(stderr, "fatal: Sign given a %zu-byte secret key\n", secret_key.size());
    std::abort();
  }
  std::string sig(kSignatureSize, '\0');
  crypto_sign_detached(U(sig), nullptr, U(message), message.size(), U(secret_key));
  return sig;
}

bool Verify(std::string_view public_key, std::string_view message,
            std::string_view signature) {
  EnsureSodium();
  if (public_key.size() != kPublicKeySize || signature.size() != kSignatureSize) {
    return false;
  }
  return crypto_sign_verify_detached(U(signature), U(message), message.size(),
                                     U(public_key)) == 0;
}

std::string Hash(std::string_view data) {
  Hasher h;
  h.Update(data);
  return h.Finish();
}

static_assert(sizeof(crypto_generichash_state) <= 384);

Hasher::Hasher() {
  EnsureSodium();
  crypto_generichash_init(reinterpret_cast<crypto_generichash_state*>(state_), nullptr, 0,
                          kHashSize);
}

void Hasher::Update(std::string_view data) {
  crypto_generichash_update(reinterpret_cast<crypto_generichash_state*>(state_), U(data),
                            data.size());
}

std::string Hasher::Finish() {
  std::string out(kHashSize, '\0');
  crypto_generichash_final(reinterpret_cast<crypto_generichash_state*>(state_), U(out),
                           out.size());
  return out;
}

std::string ToHex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), U(bytes), bytes.size());
  out.pop_back();
  return out;
}

absl::StatusOr<std::string> FromHex(std::string_view hex) {
  std::string out(hex.size() / 2, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (hex.size() % 2 != 0 ||
      sodium_hex2bin(U(out), out.size(), hex.data(), hex.size(), nullptr, &len, &end) !=
          0 ||
      end != hex.data() + hex.size()) {
    return error::InvalidInput("not a hex string");
  }
  out.resize(len);
  return out;
}

}  // namespace cmtp::crypto
