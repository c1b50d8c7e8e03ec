// The "CMI1" inner message: layout, signature, raw-text fallback, and inputs
// that claim the layout but break it.
#include "lib/crypto/inner_message.h"

#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "lib/crypto/sodium.h"
#include "lib/wire/serializer.h"

namespace cmtp::crypto {
namespace {

InnerMessage SampleMessage() {
  InnerMessage message;
  message.timestamp_unix_ms = 1'700'000'000'123;
  message.from = "alice@hawaii.edu";
  message.to = "bob@hawaii.edu";
  message.subject = "lunch?";
  message.reply_to = "alice+lunch@hawaii.edu";
  message.cc = {"carol@example.org", "dave@example.net"};
  message.text = std::string("noon at the usual place\0with a NUL", 34);
  return message;
}

void ExpectSameMessage(const InnerMessage& actual, const InnerMessage& expected) {
  EXPECT_EQ(actual.timestamp_unix_ms, expected.timestamp_unix_ms);
  EXPECT_EQ(actual.from, expected.from);
  EXPECT_EQ(actual.to, expected.to);
  EXPECT_EQ(actual.subject, expected.subject);
  EXPECT_EQ(actual.reply_to, expected.reply_to);
  EXPECT_EQ(actual.cc, expected.cc);
  EXPECT_EQ(actual.content_type, expected.content_type);
  EXPECT_EQ(actual.text, expected.text);
}

TEST(InnerMessageTest, RoundTripsAndVerifies) {
  const KeyPair alice = GenerateKeyPair();
  const InnerMessage message = SampleMessage();
  const std::string encoded = EncodeSignedInner(message, alice.secret_key.view());
  absl::StatusOr<DecodedInner> decoded = DecodeInner(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(decoded->structured);
  ExpectSameMessage(decoded->message, message);
  EXPECT_EQ(decoded->signature, encoded.substr(encoded.size() - kSignatureSize));
  EXPECT_TRUE(VerifyInner(*decoded, alice.public_key));
}

TEST(InnerMessageTest, LayoutMatchesTheDocument) {
  const KeyPair alice = GenerateKeyPair();
  InnerMessage message;
  message.timestamp_unix_ms = 42;
  message.from = "a@x";
  message.to = "b@y";
  message.cc = {"c@z"};
  message.content_type = "text/plain";
  message.text = "hi";
  const std::string encoded = EncodeSignedInner(message, alice.secret_key.view());

  std::string expected = "CMI1";
  wire::AppendU64(expected, 42);
  for (std::string field : {"a@x", "b@y", "", ""}) {
    wire::AppendU32(expected, field.size());
    expected += field;
  }
  wire::AppendU32(expected, 1);
  wire::AppendU32(expected, 3);
  expected += "c@z";
  wire::AppendU32(expected, 10);
  expected += "text/plain";
  wire::AppendU64(expected, 2);
  expected += "hi";
  ASSERT_EQ(encoded.size(), expected.size() + kSignatureSize);
  EXPECT_EQ(encoded.substr(0, expected.size()), expected);
  EXPECT_TRUE(Verify(alice.public_key, std::string("CMTP-INNER-1\0", 13) + expected,
                     encoded.substr(expected.size())));
}

TEST(InnerMessageTest, SignatureFailsWithAnotherKey) {
  const KeyPair alice = GenerateKeyPair();
  const KeyPair mallory = GenerateKeyPair();
  absl::StatusOr<DecodedInner> decoded =
      DecodeInner(EncodeSignedInner(SampleMessage(), alice.secret_key.view()));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_FALSE(VerifyInner(*decoded, mallory.public_key));
}

TEST(InnerMessageTest, AlteredFieldBreaksTheSignature) {
  const KeyPair alice = GenerateKeyPair();
  std::string encoded = EncodeSignedInner(SampleMessage(), alice.secret_key.view());
  // Redirect "bob@" to "rob@" without changing any length.
  const size_t to = encoded.find("bob@hawaii.edu");
  ASSERT_NE(to, std::string::npos);
  encoded[to] = 'r';
  absl::StatusOr<DecodedInner> decoded = DecodeInner(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->message.to, "rob@hawaii.edu");
  EXPECT_FALSE(VerifyInner(*decoded, alice.public_key));
}

TEST(InnerMessageTest, RawTextDecodesUnsigned) {
  const KeyPair alice = GenerateKeyPair();
  for (std::string raw : {std::string("hello from the reference client"), std::string(""),
                          std::string("CMI"), std::string("cmi1 lower case")}) {
    absl::StatusOr<DecodedInner> decoded = DecodeInner(raw);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_FALSE(decoded->structured);
    EXPECT_EQ(decoded->message.text, raw);
    EXPECT_FALSE(VerifyInner(*decoded, alice.public_key));
  }
}

TEST(InnerMessageTest, EveryTruncationOfAStructuredMessageIsAnError) {
  const KeyPair alice = GenerateKeyPair();
  const std::string encoded = EncodeSignedInner(SampleMessage(), alice.secret_key.view());
  for (size_t length = 4; length < encoded.size(); ++length) {
    absl::StatusOr<DecodedInner> decoded = DecodeInner(encoded.substr(0, length));
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument)
        << "length " << length;
  }
}

TEST(InnerMessageTest, TrailingBytesAreAnError) {
  const KeyPair alice = GenerateKeyPair();
  const std::string encoded = EncodeSignedInner(SampleMessage(), alice.secret_key.view());
  EXPECT_FALSE(DecodeInner(encoded + "x").ok());
}

TEST(InnerMessageTest, HostileLengthsAreRefusedWithoutAllocating) {
  // A from length of 4 GiB - 1 in a 100-byte input.
  std::string hostile = "CMI1";
  wire::AppendU64(hostile, 0);
  wire::AppendU32(hostile, UINT32_MAX);
  hostile.append(100, 'x');
  EXPECT_FALSE(DecodeInner(hostile).ok());

  // A CC count of 4 billion.
  std::string many_cc = "CMI1";
  wire::AppendU64(many_cc, 0);
  for (int i = 0; i < 4; ++i) wire::AppendU32(many_cc, 0);
  wire::AppendU32(many_cc, UINT32_MAX);
  many_cc.append(200, '\0');
  EXPECT_FALSE(DecodeInner(many_cc).ok());

  // A text length of 2^64 - 1.
  std::string huge_text = "CMI1";
  wire::AppendU64(huge_text, 0);
  for (int i = 0; i < 5; ++i) wire::AppendU32(huge_text, 0);
  wire::AppendU32(huge_text, 0);
  wire::AppendU64(huge_text, UINT64_MAX);
  huge_text.append(kSignatureSize, 's');
  EXPECT_FALSE(DecodeInner(huge_text).ok());
}

TEST(InnerMessageTest, NegativeTimestampSurvives) {
  const KeyPair alice = GenerateKeyPair();
  InnerMessage message = SampleMessage();
  message.timestamp_unix_ms = -1;
  absl::StatusOr<DecodedInner> decoded =
      DecodeInner(EncodeSignedInner(message, alice.secret_key.view()));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->message.timestamp_unix_ms, -1);
}

}  // namespace
}  // namespace cmtp::crypto
