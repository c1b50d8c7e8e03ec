// Opening a received MAIL message with the recipient's key and judging the
// sender's signature: who signed it, for whom it was written, and whether
// the signature holds.
#ifndef CMTP_LIB_CLIENT_RECEIVED_MAIL_H_
#define CMTP_LIB_CLIENT_RECEIVED_MAIL_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/client/mail_address.h"
#include "lib/crypto/inner_message.h"
#include "lib/crypto/sealed.h"
#include "lib/crypto/sodium.h"
#include "lib/wire/message.h"

namespace cmtp::client {

struct OpenedMail {
  wire::MailHeader envelope;
  crypto::DecodedInner inner;  // structured, or raw text from the reference client
  std::vector<crypto::Attachment> attachments;
};

// CryptoFailure when the body or an attachment does not open with
// `recipient`'s key, or the body claims the structured layout but is broken.
absl::StatusOr<OpenedMail> OpenMail(const wire::MailMessage& message,
                                    const crypto::KeyPair& recipient);

// The address whose key must verify a structured message (its `from`).
absl::StatusOr<MailAddress> ClaimedSender(const OpenedMail& mail);

enum class SignatureVerdict {
  kVerified,     // signed by the claimed sender, written to us
  kNotVerified,  // signed layout, but a check failed (see reason)
  kUnsigned,     // raw text: nothing to verify
};

struct SignatureCheck {
  SignatureVerdict verdict = SignatureVerdict::kNotVerified;
  std::string signer;  // the claimed sender, for structured messages
  std::string reason;  // why not verified
};

// `reader` is the address the message was delivered to (the user).
// `sender_public_key` is the claimed sender's key, or nullopt when it could
// not be obtained.
SignatureCheck CheckSignature(const OpenedMail& mail, const MailAddress& reader,
                              const std::optional<std::string>& sender_public_key);

}  // namespace cmtp::client

#endif  // CMTP_LIB_CLIENT_RECEIVED_MAIL_H_
