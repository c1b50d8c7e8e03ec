// The reference implementation's captured bytes (shared/vectors/reference):
// every signature in them verifies, and our code reproduces them exactly.
#include <sodium.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "lib/crypto/protocol_signatures.h"
#include "lib/crypto/sealed.h"
#include "lib/crypto/sodium.h"
#include "lib/crypto/xzibit.h"
#include "lib/wire/serializer.h"
#include "tests/support/ports.h"

namespace cmtp::crypto {
namespace {

using ::cmtp::testing::ReadFileOrDie;
using ::cmtp::testing::VectorPath;

std::string Vector(const std::string& name) { return ReadFileOrDie(VectorPath(name)); }

// Key block: u32 1 | pk[32] | 0 | sig[64] | 0.
constexpr size_t kKeyOffset = 4;
constexpr size_t kKeySignatureOffset = kKeyOffset + kPublicKeySize + 1;
constexpr size_t kKeyBlockSize = kKeySignatureOffset + kSignatureSize + 1;

void ExpectKeyBlockSignedByServer(const std::string& block, const std::string& key) {
  const std::string server_public = Vector("server_public.key");
  ASSERT_EQ(block.size(), kKeyBlockSize);
  EXPECT_EQ(wire::ReadU32(block.data()), 1u);
  EXPECT_EQ(block.substr(kKeyOffset, kPublicKeySize), key);
  EXPECT_EQ(block[kKeyOffset + kPublicKeySize], '\0');
  EXPECT_EQ(block.back(), '\0');
  EXPECT_TRUE(Verify(server_public, block.substr(kKeyOffset, kPublicKeySize),
                     block.substr(kKeySignatureOffset, kSignatureSize)));
}

TEST(GoldenTest, ReferenceKeyRepliesVerifyWithTheServerKey) {
  ExpectKeyBlockSignedByServer(Vector("keyreply_server.bin"),
                               Vector("server_public.key"));
  ExpectKeyBlockSignedByServer(Vector("keyreply_alice.bin"), Vector("alice_public.key"));
  ExpectKeyBlockSignedByServer(Vector("keyreply_bob.bin"), Vector("bob_public.key"));
}

TEST(GoldenTest, KeyBlockSignatureDoesNotVerifyForAnotherKey) {
  const std::string block = Vector("keyreply_alice.bin");
  EXPECT_FALSE(Verify(Vector("server_public.key"), Vector("bob_public.key"),
                      block.substr(kKeySignatureOffset, kSignatureSize)));
  EXPECT_FALSE(Verify(Vector("alice_public.key"), Vector("alice_public.key"),
                      block.substr(kKeySignatureOffset, kSignatureSize)));
}

TEST(GoldenTest, MakeKeyBlockReproducesTheReferenceBytes) {
  const std::string server_secret = Vector("server_private.key");
  EXPECT_EQ(MakeKeyBlock(server_secret, Vector("alice_public.key")),
            Vector("keyreply_alice.bin"));
  EXPECT_EQ(MakeKeyBlock(server_secret, Vector("bob_public.key")),
            Vector("keyreply_bob.bin"));
  EXPECT_EQ(MakeKeyBlock(server_secret, Vector("server_public.key")),
            Vector("keyreply_server.bin"));
}

TEST(GoldenTest, NotAvailableBlockIsSignedOverItsSixteenBytes) {
  const std::string block = MakeNotAvailableBlock(Vector("server_private.key"));
  ASSERT_EQ(block.size(), 85u);
  EXPECT_EQ(wire::ReadU32(block.data()), 0u);
  EXPECT_EQ(block.substr(4, 16), std::string("KEYNOTAVAILABLE\0", 16));
  EXPECT_EQ(block.back(), '\0');
  EXPECT_TRUE(Verify(Vector("server_public.key"), block.substr(4, 16),
                     block.substr(20, kSignatureSize)));
}

TEST(GoldenTest, LoginReplyIsTheXzibitAndAServerSignatureOverIt) {
  const std::string reply = Vector("login_reply_alice.bin");
  const std::string xzibit = Vector("alice.xzibit");
  ASSERT_EQ(reply.size(), kXzibitV1Size + kSignatureSize);
  EXPECT_EQ(reply.substr(0, kXzibitV1Size), xzibit);
  EXPECT_TRUE(Verify(Vector("server_public.key"), xzibit, reply.substr(kXzibitV1Size)));
  // And the signature is the one our server would make, byte for byte.
  EXPECT_EQ(Sign(Vector("server_private.key"), xzibit), reply.substr(kXzibitV1Size));
}

TEST(GoldenTest, ServerSecretKeyRebuildsItsPublicKey) {
  absl::StatusOr<KeyPair> pair = KeyPairFromSecretKey(Vector("server_private.key"));
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_EQ(pair->public_key, Vector("server_public.key"));
}

TEST(GoldenTest, AliceXzibitIsAValidV1) {
  const std::string xzibit = Vector("alice.xzibit");
  absl::StatusOr<XzibitInfo> info = InspectXzibit(xzibit);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->version, 1u);
  EXPECT_EQ(info->salt, xzibit.substr(4, 32));
}

TEST(GoldenTest, AliceXzibitOpensWithHerPassword) {
  const std::string alice_public = Vector("alice_public.key");
  absl::StatusOr<KeyPair> pair = OpenXzibit(Vector("alice.xzibit"), "alicepw", "");
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_EQ(pair->public_key, alice_public);
  ASSERT_EQ(pair->secret_key.size(), kSecretKeySize);
  EXPECT_EQ(pair->secret_key.view().substr(kSeedSize), alice_public);
  // The opened key really is alice's: it signs what her public key verifies.
  EXPECT_TRUE(Verify(alice_public, "hello", Sign(pair->secret_key.view(), "hello")));
}

TEST(GoldenTest, AliceXzibitV1IgnoresTheAddress) {
  absl::StatusOr<KeyPair> pair =
      OpenXzibit(Vector("alice.xzibit"), "alicepw", "alice@hawaii.edu");
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_EQ(pair->public_key, Vector("alice_public.key"));
}

TEST(GoldenTest, AliceXzibitRefusesAWrongPassword) {
  absl::StatusOr<KeyPair> pair = OpenXzibit(Vector("alice.xzibit"), "alicepW", "");
  ASSERT_FALSE(pair.ok());
  EXPECT_EQ(pair.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(GoldenTest, AliceXzibitRefusesATamperedCiphertext) {
  std::string xzibit = Vector("alice.xzibit");
  xzibit[100] ^= 0x01;
  EXPECT_FALSE(OpenXzibit(xzibit, "alicepw", "").ok());
}

// MAIL\0 | u32 type | u32 count | u64 log_len | u64 body_len | 4 strs | log | body.
TEST(GoldenTest, ReferenceMailBodyIsASealedBoxOnlyBobCanOpen) {
  const std::string capture = Vector("mail_from_alice_client.bin");
  constexpr std::string_view kMailWord("MAIL\0", 5);
  ASSERT_EQ(capture.substr(0, kMailWord.size()), kMailWord);
  size_t offset = kMailWord.size();
  EXPECT_EQ(wire::ReadU32(capture.data() + offset), 1u);
  EXPECT_EQ(wire::ReadU32(capture.data() + offset + 4), 0u);
  const uint64_t log_len = wire::ReadU64(capture.data() + offset + 8);
  const uint64_t body_len = wire::ReadU64(capture.data() + offset + 16);
  offset += 24;
  for (std::string_view expected : {"bob", "hawaii.edu", "alice", "hawaii.edu"}) {
    const size_t end = capture.find('\0', offset);
    ASSERT_NE(end, std::string::npos);
    EXPECT_EQ(capture.substr(offset, end - offset), expected);
    offset = end + 1;
  }
  offset += log_len;
  ASSERT_EQ(body_len, 99u);
  ASSERT_LE(offset + body_len, capture.size());
  const std::string body = capture.substr(offset, body_len);
  EXPECT_EQ(capture.substr(offset + body_len), std::string("OBAI\0", 5));

  EXPECT_EQ(body.size(), crypto_box_SEALBYTES + 51);
  const KeyPair stranger = GenerateKeyPair();
  absl::StatusOr<std::string> opened = OpenSealed(stranger, body);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace cmtp::crypto
