// Sealed boxes to a recipient's Ed25519 identity (converted to X25519), for
// bodies and attachments.
#ifndef CMTP_LIB_CRYPTO_SEALED_H_
#define CMTP_LIB_CRYPTO_SEALED_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/crypto/sodium.h"

namespace cmtp::crypto {

inline constexpr size_t kAttachmentNameField = 255;

absl::StatusOr<std::string> SealTo(std::string_view recipient_public_key,
                                   std::string_view plaintext);
absl::StatusOr<std::string> OpenSealed(const KeyPair& recipient,
                                       std::string_view sealed);

struct Attachment {
  std::string filename;
  std::string data;
};

// name must be at most 255 bytes of UTF-8 without NUL.
absl::StatusOr<std::string> SealAttachment(std::string_view recipient_public_key,
                                           const Attachment& attachment);
absl::StatusOr<Attachment> OpenAttachment(const KeyPair& recipient,
                                          std::string_view sealed);

}  // namespace cmtp::crypto

#endif  // CMTP_LIB_CRYPTO_SEALED_H_
