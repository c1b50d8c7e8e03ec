// xzibit v2: sealing, opening, the login key, and the limits a hostile
// server cannot push a client past.
#include "lib/crypto/xzibit.h"

#include <sodium.h>
#include <stdlib.h>

#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "lib/crypto/sodium.h"
#include "lib/wire/serializer.h"

namespace cmtp::crypto {
namespace {

constexpr char kAddress[] = "carol@example.org";
constexpr char kPassword[] = "correct horse battery staple";

// v2 layout offsets (docs/protocol.md).
constexpr size_t kKdfOffset = 4;
constexpr size_t kOpslimitOffset = 5;
constexpr size_t kMemlimitOffset = 13;
constexpr size_t kSaltOffset = 21;
constexpr size_t kNonceOffset = 37;
constexpr size_t kLengthOffset = 61;
constexpr size_t kCiphertextOffset = 69;
constexpr size_t kV2Size = kCiphertextOffset + 112;

std::string WithU64At(std::string bytes, size_t offset, uint64_t value) {
  std::string encoded;
  wire::AppendU64(encoded, value);
  bytes.replace(offset, 8, encoded);
  return bytes;
}

class XzibitV2Test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    identity_ = new KeyPair(GenerateKeyPair());
    absl::StatusOr<SealedXzibit> sealed =
        SealXzibitV2(*identity_, kPassword, kAddress, KdfCost::kInteractive);
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    sealed_ = new SealedXzibit(*std::move(sealed));
  }
  static void TearDownTestSuite() {
    delete identity_;
    delete sealed_;
  }

  static KeyPair* identity_;
  static SealedXzibit* sealed_;
};
KeyPair* XzibitV2Test::identity_ = nullptr;
SealedXzibit* XzibitV2Test::sealed_ = nullptr;

TEST_F(XzibitV2Test, LayoutMatchesTheDocument) {
  const std::string& bytes = sealed_->bytes;
  ASSERT_EQ(bytes.size(), kV2Size);
  EXPECT_EQ(wire::ReadU32(bytes.data()), 2u);
  EXPECT_EQ(bytes[kKdfOffset], 1);
  EXPECT_EQ(wire::ReadU64(bytes.data() + kOpslimitOffset),
            crypto_pwhash_OPSLIMIT_INTERACTIVE);
  EXPECT_EQ(wire::ReadU64(bytes.data() + kMemlimitOffset),
            crypto_pwhash_MEMLIMIT_INTERACTIVE);
  EXPECT_EQ(wire::ReadU64(bytes.data() + kLengthOffset), 112u);

  absl::StatusOr<XzibitInfo> info = InspectXzibit(bytes);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->version, 2u);
  EXPECT_EQ(info->salt, bytes.substr(kSaltOffset, kXzibitV2SaltSize));
  EXPECT_EQ(info->opslimit, crypto_pwhash_OPSLIMIT_INTERACTIVE);
  EXPECT_EQ(info->memlimit, crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

TEST_F(XzibitV2Test, OpensToTheSealedIdentity) {
  absl::StatusOr<KeyPair> opened = OpenXzibit(sealed_->bytes, kPassword, kAddress);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->public_key, identity_->public_key);
  EXPECT_EQ(opened->secret_key.view(), identity_->secret_key.view());
}

TEST_F(XzibitV2Test, WrongPasswordFails) {
  absl::StatusOr<KeyPair> opened = OpenXzibit(sealed_->bytes, "wrong password", kAddress);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(XzibitV2Test, WrongAddressFails) {
  absl::StatusOr<KeyPair> opened =
      OpenXzibit(sealed_->bytes, kPassword, "mallory@example.org");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(XzibitV2Test, EveryTamperedCiphertextOrNonceByteFails) {
  for (size_t offset : {kNonceOffset, kNonceOffset + 23, kCiphertextOffset,
                        kCiphertextOffset + 50, kV2Size - 1}) {
    std::string tampered = sealed_->bytes;
    tampered[offset] ^= 0x20;
    absl::StatusOr<KeyPair> opened = OpenXzibit(tampered, kPassword, kAddress);
    EXPECT_FALSE(opened.ok()) << "byte " << offset;
  }
}

TEST_F(XzibitV2Test, TamperedSaltFails) {
  std::string tampered = sealed_->bytes;
  tampered[kSaltOffset] ^= 0x01;
  EXPECT_FALSE(OpenXzibit(tampered, kPassword, kAddress).ok());
}

TEST_F(XzibitV2Test, LoginKeyIsDerivedFromThePasswordAlone) {
  absl::StatusOr<XzibitInfo> info = InspectXzibit(sealed_->bytes);
  ASSERT_TRUE(info.ok()) << info.status();
  absl::StatusOr<KeyPair> login =
      DeriveLoginKey(kPassword, info->salt, info->opslimit, info->memlimit);
  ASSERT_TRUE(login.ok()) << login.status();
  EXPECT_EQ(login->public_key, sealed_->login_key.public_key);
  EXPECT_EQ(login->secret_key.view(), sealed_->login_key.secret_key.view());
  // Separate from the identity it seals.
  EXPECT_NE(login->public_key, identity_->public_key);

  absl::StatusOr<KeyPair> wrong =
      DeriveLoginKey("not the password", info->salt, info->opslimit, info->memlimit);
  ASSERT_TRUE(wrong.ok()) << wrong.status();
  EXPECT_NE(wrong->public_key, sealed_->login_key.public_key);
}

TEST_F(XzibitV2Test, SealingTwiceUsesFreshSaltAndNonce) {
  absl::StatusOr<SealedXzibit> again =
      SealXzibitV2(*identity_, kPassword, kAddress, KdfCost::kInteractive);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_NE(again->bytes.substr(kSaltOffset, 16), sealed_->bytes.substr(kSaltOffset, 16));
  EXPECT_NE(again->bytes.substr(kNonceOffset, 24),
            sealed_->bytes.substr(kNonceOffset, 24));
  EXPECT_NE(again->login_key.public_key, sealed_->login_key.public_key);
}

TEST_F(XzibitV2Test, InspectRejectsWrongLengths) {
  const std::string& bytes = sealed_->bytes;
  EXPECT_FALSE(InspectXzibit(bytes.substr(0, kV2Size - 1)).ok());
  EXPECT_FALSE(InspectXzibit(bytes + "x").ok());
  EXPECT_FALSE(InspectXzibit(WithU64At(bytes, kLengthOffset, 111)).ok());
  EXPECT_FALSE(InspectXzibit("").ok());
  EXPECT_FALSE(InspectXzibit(std::string("\0\0\0", 3)).ok());
  std::string unknown_kdf = bytes;
  unknown_kdf[kKdfOffset] = 2;
  EXPECT_FALSE(InspectXzibit(unknown_kdf).ok());
  std::string unknown_version = bytes;
  unknown_version[3] = 3;
  EXPECT_FALSE(InspectXzibit(unknown_version).ok());
  std::string v1_sized_as_v2 = bytes;
  v1_sized_as_v2[3] = 1;
  EXPECT_FALSE(InspectXzibit(v1_sized_as_v2).ok());
}

// A hostile server announces limits that would make a client spend memory or
// time without bound: refused before any derivation (these would take 4+ GiB
// or minutes, so a quick return shows nothing was attempted).
TEST_F(XzibitV2Test, LimitsAboveTheCeilingAreRefusedUpFront) {
  const uint64_t max_ops = 4ull * crypto_pwhash_OPSLIMIT_SENSITIVE;
  const uint64_t max_mem = 4ull * crypto_pwhash_MEMLIMIT_SENSITIVE;
  const std::string salt(kXzibitV2SaltSize, 's');
  const auto start = std::chrono::steady_clock::now();

  absl::StatusOr<KeyPair> too_much_memory =
      DeriveLoginKey(kPassword, salt, crypto_pwhash_OPSLIMIT_INTERACTIVE, max_mem + 1);
  ASSERT_FALSE(too_much_memory.ok());
  EXPECT_EQ(too_much_memory.status().code(), absl::StatusCode::kResourceExhausted);
  absl::StatusOr<KeyPair> too_many_ops =
      DeriveLoginKey(kPassword, salt, max_ops + 1, crypto_pwhash_MEMLIMIT_INTERACTIVE);
  ASSERT_FALSE(too_many_ops.ok());
  EXPECT_EQ(too_many_ops.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(DeriveLoginKey(kPassword, salt, UINT64_MAX, UINT64_MAX).ok());

  const std::string hostile = WithU64At(sealed_->bytes, kMemlimitOffset, max_mem + 1);
  EXPECT_FALSE(InspectXzibit(hostile).ok());
  absl::StatusOr<KeyPair> opened = OpenXzibit(hostile, kPassword, kAddress);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(OpenXzibit(WithU64At(sealed_->bytes, kOpslimitOffset, max_ops + 1),
                          kPassword, kAddress)
                   .ok());

  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(XzibitV2Test, LimitsBelowTheMinimumAreRefused) {
  const std::string salt(kXzibitV2SaltSize, 's');
  EXPECT_FALSE(
      DeriveLoginKey(kPassword, salt, 0, crypto_pwhash_MEMLIMIT_INTERACTIVE).ok());
  EXPECT_FALSE(DeriveLoginKey(kPassword, salt, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_MIN - 1)
                   .ok());
  EXPECT_FALSE(InspectXzibit(WithU64At(sealed_->bytes, kOpslimitOffset, 0)).ok());
}

TEST_F(XzibitV2Test, LoginKeyNeedsASixteenByteSalt) {
  EXPECT_FALSE(DeriveLoginKey(kPassword, "short", crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE)
                   .ok());
}

TEST(XzibitModerateTest, DefaultCostRoundTrips) {
  const KeyPair identity = GenerateKeyPair();
  absl::StatusOr<SealedXzibit> sealed =
      SealXzibitV2(identity, kPassword, kAddress, KdfCost::kModerate);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(wire::ReadU64(sealed->bytes.data() + kOpslimitOffset),
            crypto_pwhash_OPSLIMIT_MODERATE);
  EXPECT_EQ(wire::ReadU64(sealed->bytes.data() + kMemlimitOffset),
            crypto_pwhash_MEMLIMIT_MODERATE);
  absl::StatusOr<KeyPair> opened = OpenXzibit(sealed->bytes, kPassword, kAddress);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->public_key, identity.public_key);
}

TEST(KdfCostTest, ReadsTheEnvironment) {
  unsetenv("CMTP_KDF_COST");
  EXPECT_EQ(KdfCostFromEnvironment(), KdfCost::kModerate);
  setenv("CMTP_KDF_COST", "interactive", 1);
  EXPECT_EQ(KdfCostFromEnvironment(), KdfCost::kInteractive);
  setenv("CMTP_KDF_COST", "sensitive", 1);
  EXPECT_EQ(KdfCostFromEnvironment(), KdfCost::kSensitive);
  setenv("CMTP_KDF_COST", "moderate", 1);
  EXPECT_EQ(KdfCostFromEnvironment(), KdfCost::kModerate);
  setenv("CMTP_KDF_COST", "bogus", 1);
  EXPECT_EQ(KdfCostFromEnvironment(), KdfCost::kModerate);
  unsetenv("CMTP_KDF_COST");
}

}  // namespace
}  // namespace cmtp::crypto
