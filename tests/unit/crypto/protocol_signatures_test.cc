// The bytes each protocol signature covers, and status receipts that bind
// one request.
#include "lib/crypto/protocol_signatures.h"

#include <string>

#include "gtest/gtest.h"
#include "lib/crypto/sodium.h"

namespace cmtp::crypto {
namespace {

std::string Bytes(const char* text, size_t size) { return std::string(text, size); }

class StatusTest : public ::testing::Test {
 protected:
  const KeyPair server_ = GenerateKeyPair();
  const std::string request_ = Bytes("MAIL\0\0\0\0\1 and the rest", 22);
};

TEST_F(StatusTest, SignedBytesFollowTheDocument) {
  const std::string expected = Bytes("CMTP-STATUS-1\0", 14) + "SUCCESS" + Hash(request_) +
                               "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(StatusSignedBytes(true, request_, "0123456789abcdef0123456789abcdef"),
            expected);
  EXPECT_EQ(StatusSignedBytes(false, request_, "no"),
            Bytes("CMTP-STATUS-1\0", 14) + "FAILURE" + Hash(request_) + "no");
}

TEST_F(StatusTest, VerifiesForTheSameRequest) {
  const wire::Status status = MakeStatus(server_.secret_key.view(), true, request_, "id");
  EXPECT_TRUE(status.success);
  EXPECT_EQ(status.detail, "id");
  EXPECT_EQ(status.signature.size(), kSignatureSize);
  EXPECT_TRUE(VerifyStatus(server_.public_key, status, request_));
}

TEST_F(StatusTest, FailsForAnotherRequest) {
  const wire::Status status = MakeStatus(server_.secret_key.view(), true, request_, "id");
  EXPECT_FALSE(VerifyStatus(server_.public_key, status, request_ + "x"));
  EXPECT_FALSE(VerifyStatus(server_.public_key, status, ""));
}

TEST_F(StatusTest, FailsForAnotherWordOrDetail) {
  wire::Status status = MakeStatus(server_.secret_key.view(), false, request_, "full");
  ASSERT_TRUE(VerifyStatus(server_.public_key, status, request_));
  status.success = true;
  EXPECT_FALSE(VerifyStatus(server_.public_key, status, request_));
  status.success = false;
  status.detail = "fill";
  EXPECT_FALSE(VerifyStatus(server_.public_key, status, request_));
}

TEST_F(StatusTest, FailsForAnotherServer) {
  const KeyPair other = GenerateKeyPair();
  const wire::Status status = MakeStatus(server_.secret_key.view(), true, request_, "id");
  EXPECT_FALSE(VerifyStatus(other.public_key, status, request_));
}

TEST_F(StatusTest, LongDetailIsTruncatedBeforeSigning) {
  const wire::Status status =
      MakeStatus(server_.secret_key.view(), false, request_, std::string(300, 'r'));
  EXPECT_EQ(status.detail, std::string(255, 'r'));
  EXPECT_TRUE(VerifyStatus(server_.public_key, status, request_));
}

TEST_F(StatusTest, TruncationKeepsWholeUtf8Characters) {
  // 254 ASCII bytes then "é" (2 bytes): cutting at 255 would split it.
  const std::string detail = std::string(254, 'a') + "\xc3\xa9" + "tail";
  const wire::Status status =
      MakeStatus(server_.secret_key.view(), false, request_, detail);
  EXPECT_EQ(status.detail, std::string(254, 'a'));
  EXPECT_TRUE(VerifyStatus(server_.public_key, status, request_));

  // A 3-byte character ending exactly at 255 is kept.
  const std::string fits = std::string(252, 'a') + "\xe2\x82\xac" + "more";
  EXPECT_EQ(MakeStatus(server_.secret_key.view(), false, request_, fits).detail,
            std::string(252, 'a') + "\xe2\x82\xac");
}

TEST_F(StatusTest, DetailStopsAtANul) {
  const wire::Status status =
      MakeStatus(server_.secret_key.view(), false, request_, Bytes("bad\0hidden", 10));
  EXPECT_EQ(status.detail, "bad");
  EXPECT_TRUE(VerifyStatus(server_.public_key, status, request_));
}

TEST(AccountProofTest, RegisterSignedBytesFollowTheDocument) {
  const std::string pk(32, 'P');
  const std::string login_pk(32, 'L');
  const std::string xzibit = "xzibit bytes";
  EXPECT_EQ(
      RegisterSignedBytes("alice", "hawaii.edu", pk, login_pk, xzibit),
      Bytes("CMTP-REGISTER-1\0alice\0hawaii.edu\0", 33) + pk + login_pk + Hash(xzibit));
}

TEST(AccountProofTest, AuthAndLoginSignedBytesFollowTheDocument) {
  const std::string challenge(32, 'c');
  const std::string server_pk(32, 's');
  EXPECT_EQ(AuthSignedBytes("alice", "hawaii.edu", challenge, server_pk),
            Bytes("CMTP-AUTH-1\0alice\0hawaii.edu\0", 29) + challenge + server_pk);
  EXPECT_EQ(LoginSignedBytes("alice", "hawaii.edu", challenge, server_pk),
            Bytes("CMTP-LOGIN-1\0alice\0hawaii.edu\0", 30) + challenge + server_pk);
}

TEST(AccountProofTest, ProofsForDifferentPurposesDiffer) {
  const std::string challenge(32, 'c');
  const std::string server_pk(32, 's');
  EXPECT_NE(AuthSignedBytes("alice", "hawaii.edu", challenge, server_pk),
            LoginSignedBytes("alice", "hawaii.edu", challenge, server_pk));
  // The NUL terminators keep "ab"+"c" apart from "a"+"bc".
  EXPECT_NE(AuthSignedBytes("ab", "c", challenge, server_pk),
            AuthSignedBytes("a", "bc", challenge, server_pk));
}

TEST(KeyBlockTest, SignsTheKeyWithTheServerKey) {
  const KeyPair server = GenerateKeyPair();
  const KeyPair user = GenerateKeyPair();
  const std::string block = MakeKeyBlock(server.secret_key.view(), user.public_key);
  ASSERT_EQ(block.size(), 102u);
  EXPECT_EQ(block.substr(0, 4), Bytes("\0\0\0\1", 4));
  EXPECT_EQ(block.substr(4, 32), user.public_key);
  EXPECT_TRUE(Verify(server.public_key, user.public_key, block.substr(37, 64)));
  EXPECT_FALSE(Verify(user.public_key, user.public_key, block.substr(37, 64)));
}

TEST(KeyBlockTest, NotAvailableBlockVerifies) {
  const KeyPair server = GenerateKeyPair();
  const std::string block = MakeNotAvailableBlock(server.secret_key.view());
  ASSERT_EQ(block.size(), 85u);
  EXPECT_TRUE(
      Verify(server.public_key, Bytes("KEYNOTAVAILABLE\0", 16), block.substr(20, 64)));
}

}  // namespace
}  // namespace cmtp::crypto
