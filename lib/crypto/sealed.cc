#include "lib/crypto/sealed.h"

#include <sodium.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/common/errors.h"

namespace cmtp::crypto {
namespace {

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* Bytes(std::string& s) {
  return reinterpret_cast<unsigned char*>(s.data());
}

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
// U+10FFFF. A file name that passes cannot smuggle a '/' or NUL in disguise.
bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t extra = 0;
    uint32_t min_code_point = 0;
    uint32_t code_point = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      extra = 1;
      min_code_point = 0x80;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      extra = 2;
      min_code_point = 0x800;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      extra = 3;
      min_code_point = 0x10000;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (text.size() - i <= extra) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    if (code_point < min_code_point || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

// The recipient saves an attachment under this name, and the sender may be
// hostile: refuse anything that is not a plain file name in one folder. The
// same rule applies when sealing, so we never send what a peer would refuse.
absl::Status ValidateAttachmentName(std::string_view name) {
  if (name.empty()) return error::InvalidInput("attachment name is empty");
  if (name.size() > kAttachmentNameField) {
    return error::InvalidInput("attachment name is longer than 255 bytes");
  }
  if (name.find('\0') != std::string_view::npos) {
    return error::InvalidInput("attachment name contains a NUL byte");
  }
  if (!IsValidUtf8(name)) return error::InvalidInput("attachment name is not UTF-8");
  if (name.find('/') != std::string_view::npos) {
    return error::InvalidInput("attachment name contains '/'");
  }
  if (name == "." || name == "..") {
    return error::InvalidInput("attachment name is '.' or '..'");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ToCurve25519PublicKey(std::string_view ed25519_public_key) {
  if (ed25519_public_key.size() != kPublicKeySize) {
    return error::InvalidInput("a recipient public key is 32 bytes");
  }
  std::string curve_key(crypto_scalarmult_curve25519_BYTES, '\0');
  if (crypto_sign_ed25519_pk_to_curve25519(Bytes(curve_key), Bytes(ed25519_public_key)) !=
      0) {
    return error::InvalidInput("recipient public key is not a valid Ed25519 point");
  }
  return curve_key;
}

}  // namespace

absl::StatusOr<std::string> SealTo(std::string_view recipient_public_key,
                                   std::string_view plaintext) {
  EnsureSodium();
  absl::StatusOr<std::string> curve_key = ToCurve25519PublicKey(recipient_public_key);
  if (!curve_key.ok()) return curve_key.status();
  std::string sealed(plaintext.size() + crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal(Bytes(sealed), Bytes(plaintext), plaintext.size(),
                      Bytes(*curve_key)) != 0) {
    return error::Internal("crypto_box_seal failed");
  }
  return sealed;
}

absl::StatusOr<std::string> OpenSealed(const KeyPair& recipient,
                                       std::string_view sealed) {
  EnsureSodium();
  if (sealed.size() < crypto_box_SEALBYTES) {
    return error::CryptoFailure("sealed box is shorter than its overhead");
  }
  if (recipient.secret_key.size() != kSecretKeySize) {
    return error::InvalidInput("recipient secret key is not 64 bytes");
  }
  absl::StatusOr<std::string> curve_public = ToCurve25519PublicKey(recipient.public_key);
  if (!curve_public.ok()) return curve_public.status();

  // The converted secret lives only for this call; SecretBytes wipes it.
  std::string curve_secret_buffer(crypto_scalarmult_curve25519_BYTES, '\0');
  crypto_sign_ed25519_sk_to_curve25519(Bytes(curve_secret_buffer),
                                       Bytes(recipient.secret_key.view()));
  const SecretBytes curve_secret(std::move(curve_secret_buffer));

  std::string plaintext(sealed.size() - crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal_open(Bytes(plaintext), Bytes(sealed), sealed.size(),
                           Bytes(*curve_public), Bytes(curve_secret.view())) != 0) {
    return error::CryptoFailure("sealed box does not open with this key");
  }
  return plaintext;
}

absl::StatusOr<std::string> SealAttachment(std::string_view recipient_public_key,
                                           const Attachment& attachment) {
  if (absl::Status valid = ValidateAttachmentName(attachment.filename); !valid.ok()) {
    return valid;
  }
  std::string plaintext(kAttachmentNameField, '\0');
  plaintext.replace(0, attachment.filename.size(), attachment.filename);
  plaintext.append(attachment.data);
  return SealTo(recipient_public_key, plaintext);
}

absl::StatusOr<Attachment> OpenAttachment(const KeyPair& recipient,
                                          std::string_view sealed) {
  absl::StatusOr<std::string> plaintext = OpenSealed(recipient, sealed);
  if (!plaintext.ok()) return plaintext.status();
  if (plaintext->size() < kAttachmentNameField) {
    return error::InvalidInput("attachment is shorter than its name field");
  }
  const std::string_view field =
      std::string_view(*plaintext).substr(0, kAttachmentNameField);
  const std::string_view name = field.substr(0, field.find('\0'));
  if (absl::Status valid = ValidateAttachmentName(name); !valid.ok()) return valid;
  Attachment attachment;
  attachment.filename = std::string(name);
  attachment.data = plaintext->substr(kAttachmentNameField);
  return attachment;
}

}  // namespace cmtp::crypto
