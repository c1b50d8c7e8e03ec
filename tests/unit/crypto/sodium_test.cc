// The primitives every format builds on: hashing, hex, key rebuilding.
#include "lib/crypto/sodium.h"

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace cmtp::crypto {
namespace {

TEST(HashTest, MatchesBlake2b256KnownAnswers) {
  EXPECT_EQ(ToHex(Hash("")),
            "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  EXPECT_EQ(ToHex(Hash("abc")),
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

TEST(HashTest, IncrementalEqualsOneShot) {
  Hasher hasher;
  hasher.Update("a");
  hasher.Update("");
  hasher.Update("bc");
  EXPECT_EQ(hasher.Finish(), Hash("abc"));
}

TEST(HexTest, RoundTripsAndRejectsNonHex) {
  const std::string bytes("\x00\x01\xab\xff", 4);
  EXPECT_EQ(ToHex(bytes), "0001abff");
  absl::StatusOr<std::string> decoded = FromHex("0001abff");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, bytes);
  EXPECT_FALSE(FromHex("abc").ok());
  EXPECT_FALSE(FromHex("zz").ok());
  EXPECT_FALSE(FromHex("00 1").ok());
}

TEST(KeyPairTest, SecretKeyRebuildsTheSamePair) {
  const KeyPair original = GenerateKeyPair();
  absl::StatusOr<KeyPair> rebuilt = KeyPairFromSecretKey(original.secret_key.view());
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(rebuilt->public_key, original.public_key);
  EXPECT_EQ(rebuilt->secret_key.view(), original.secret_key.view());
}

TEST(KeyPairTest, SecretKeyWithAForeignPublicHalfIsRejected) {
  const KeyPair alice = GenerateKeyPair();
  const KeyPair bob = GenerateKeyPair();
  const std::string spliced =
      std::string(alice.secret_key.view().substr(0, kSeedSize)) + bob.public_key;
  EXPECT_EQ(KeyPairFromSecretKey(spliced).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(KeyPairFromSecretKey(std::string(63, 'k')).ok());
}

TEST(SignatureTest, VerifiesOnlyTheSignedMessageUnderTheSignersKey) {
  const KeyPair alice = GenerateKeyPair();
  const KeyPair bob = GenerateKeyPair();
  const std::string signature = Sign(alice.secret_key.view(), "message");
  EXPECT_TRUE(Verify(alice.public_key, "message", signature));
  EXPECT_FALSE(Verify(alice.public_key, "massage", signature));
  EXPECT_FALSE(Verify(bob.public_key, "message", signature));
  EXPECT_FALSE(Verify(alice.public_key, "message", signature.substr(1)));
}

TEST(KeyPairTest, SeedDeterminesThePair) {
  const std::string seed(kSeedSize, 's');
  EXPECT_EQ(KeyPairFromSeed(seed).public_key, KeyPairFromSeed(seed).public_key);
  EXPECT_NE(KeyPairFromSeed(seed).public_key,
            KeyPairFromSeed(std::string(kSeedSize, 't')).public_key);
}

}  // namespace
}  // namespace cmtp::crypto
