// Sealed bodies and attachments, including names a hostile sender could use
// to make the recipient's CLI write outside its folder.
#include "lib/crypto/sealed.h"

#include <sodium.h>

#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "lib/crypto/sodium.h"

namespace cmtp::crypto {
namespace {

// Builds an attachment plaintext by hand (name field | data) and seals it,
// as a sender that skips our validation would.
std::string SealRawAttachment(const std::string& recipient_public_key,
                              const std::string& name_field, const std::string& data) {
  absl::StatusOr<std::string> sealed = SealTo(recipient_public_key, name_field + data);
  if (!sealed.ok()) std::abort();
  return *sealed;
}

std::string NameField(const std::string& name) {
  std::string field(kAttachmentNameField, '\0');
  field.replace(0, name.size(), name);
  return field;
}

TEST(SealedTest, BodyRoundTrips) {
  const KeyPair bob = GenerateKeyPair();
  const std::string text = "hello bob\n";
  absl::StatusOr<std::string> sealed = SealTo(bob.public_key, text);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->size(), text.size() + crypto_box_SEALBYTES);
  EXPECT_EQ(sealed->find(text), std::string::npos);
  absl::StatusOr<std::string> opened = OpenSealed(bob, *sealed);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, text);
}

TEST(SealedTest, EmptyBodyRoundTrips) {
  const KeyPair bob = GenerateKeyPair();
  absl::StatusOr<std::string> sealed = SealTo(bob.public_key, "");
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  absl::StatusOr<std::string> opened = OpenSealed(bob, *sealed);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, "");
}

TEST(SealedTest, SealingIsRandomised) {
  const KeyPair bob = GenerateKeyPair();
  EXPECT_NE(*SealTo(bob.public_key, "same"), *SealTo(bob.public_key, "same"));
}

TEST(SealedTest, AnotherKeyCannotOpen) {
  const KeyPair bob = GenerateKeyPair();
  const KeyPair eve = GenerateKeyPair();
  absl::StatusOr<std::string> sealed = SealTo(bob.public_key, "for bob only");
  ASSERT_TRUE(sealed.ok());
  absl::StatusOr<std::string> opened = OpenSealed(eve, *sealed);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(SealedTest, TamperedOrShortBoxFails) {
  const KeyPair bob = GenerateKeyPair();
  std::string sealed = *SealTo(bob.public_key, "integrity");
  for (size_t i = 0; i < sealed.size(); i += 7) {
    std::string tampered = sealed;
    tampered[i] ^= 0x40;
    EXPECT_FALSE(OpenSealed(bob, tampered).ok()) << "byte " << i;
  }
  EXPECT_FALSE(OpenSealed(bob, sealed.substr(0, crypto_box_SEALBYTES - 1)).ok());
  EXPECT_FALSE(OpenSealed(bob, "").ok());
}

TEST(SealedTest, RecipientKeyMustBe32Bytes) {
  EXPECT_EQ(SealTo("short", "x").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SealedTest, AttachmentRoundTrips) {
  const KeyPair bob = GenerateKeyPair();
  const Attachment attachment{"résumé.pdf", std::string("%PDF\0binary\xff", 12)};
  absl::StatusOr<std::string> sealed = SealAttachment(bob.public_key, attachment);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(sealed->size(),
            crypto_box_SEALBYTES + kAttachmentNameField + attachment.data.size());
  absl::StatusOr<Attachment> opened = OpenAttachment(bob, *sealed);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->filename, attachment.filename);
  EXPECT_EQ(opened->data, attachment.data);
}

TEST(SealedTest, AttachmentNameCanFillTheWholeField) {
  const KeyPair bob = GenerateKeyPair();
  const Attachment attachment{std::string(kAttachmentNameField, 'n'), "data"};
  absl::StatusOr<std::string> sealed = SealAttachment(bob.public_key, attachment);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  absl::StatusOr<Attachment> opened = OpenAttachment(bob, *sealed);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->filename, attachment.filename);
  EXPECT_EQ(opened->data, "data");
}

TEST(SealedTest, SealRefusesBadNames) {
  const KeyPair bob = GenerateKeyPair();
  for (const std::string& name :
       {std::string(kAttachmentNameField + 1, 'n'), std::string("a\0b", 3),
        std::string(""), std::string("../etc/passwd"), std::string("."),
        std::string(".."), std::string("dir/file"), std::string("bad\xc3(utf8")}) {
    absl::StatusOr<std::string> sealed = SealAttachment(bob.public_key, {name, "data"});
    EXPECT_EQ(sealed.status().code(), absl::StatusCode::kInvalidArgument)
        << "name " << name;
  }
}

TEST(SealedTest, OpenRefusesHostileNames) {
  const KeyPair bob = GenerateKeyPair();
  for (const std::string& name :
       {std::string("../../.bashrc"), std::string("/etc/passwd"), std::string("."),
        std::string(".."), std::string(""), std::string("\xc0\xaf"),  // overlong '/'
        std::string("\xed\xa0\x80"),                                  // surrogate
        std::string("trunc\xe2\x82")}) {
    const std::string sealed = SealRawAttachment(bob.public_key, NameField(name), "x");
    absl::StatusOr<Attachment> opened = OpenAttachment(bob, sealed);
    EXPECT_FALSE(opened.ok()) << "name " << name;
  }
}

TEST(SealedTest, OpenStopsTheNameAtTheFirstNul) {
  const KeyPair bob = GenerateKeyPair();
  std::string field = NameField("notes.txt");
  // Bytes after the first NUL are padding as far as the name goes.
  field.replace(20, 5, "/../x");
  const std::string sealed = SealRawAttachment(bob.public_key, field, "payload");
  absl::StatusOr<Attachment> opened = OpenAttachment(bob, sealed);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->filename, "notes.txt");
  EXPECT_EQ(opened->data, "payload");
}

TEST(SealedTest, OpenRefusesAPlaintextShorterThanTheNameField) {
  const KeyPair bob = GenerateKeyPair();
  const std::string sealed = *SealTo(bob.public_key, "tiny");
  EXPECT_EQ(OpenAttachment(bob, sealed).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SealedTest, AttachmentForAnotherKeyFails) {
  const KeyPair bob = GenerateKeyPair();
  const KeyPair eve = GenerateKeyPair();
  const std::string sealed = *SealAttachment(bob.public_key, {"a.txt", "secret"});
  EXPECT_EQ(OpenAttachment(eve, sealed).status().code(),
            absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace cmtp::crypto
