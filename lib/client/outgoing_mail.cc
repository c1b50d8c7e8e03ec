#include "lib/client/outgoing_mail.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/client/message_bytes.h"
#include "lib/common/errors.h"
#include "lib/wire/serializer.h"

namespace cmtp::client {

absl::StatusOr<wire::MailMessage> BuildMail(const OutgoingMail& mail,
                                            const crypto::KeyPair& sender_identity,
                                            const wire::Limits& limits) {
  if (mail.inner.from != mail.sender.ToString()) {
    return error::InvalidInput(absl::StrCat("the inner message is from ", mail.inner.from,
                                            ", not from the sender ",
                                            mail.sender.ToString()));
  }
  if (mail.attachments.size() > limits.max_attachments) {
    return error::LimitExceeded(
        absl::StrCat("at most ", limits.max_attachments, " attachments may be sent"));
  }
  const std::string inner =
      crypto::EncodeSignedInner(mail.inner, sender_identity.secret_key.view());
  absl::StatusOr<std::string> body = crypto::SealTo(mail.recipient_public_key, inner);
  if (!body.ok()) return body.status();

  std::vector<std::string> sealed_attachments;
  sealed_attachments.reserve(mail.attachments.size());
  for (const crypto::Attachment& attachment : mail.attachments) {
    absl::StatusOr<std::string> sealed =
        crypto::SealAttachment(mail.recipient_public_key, attachment);
    if (!sealed.ok()) {
      return error::InvalidInput(absl::StrCat("attachment \"", attachment.filename,
                                              "\": ", sealed.status().message()));
    }
    sealed_attachments.push_back(std::move(*sealed));
  }

  wire::MailHeader header;
  header.crypto_type = wire::kCryptoTypeEd25519;
  header.dst_account = mail.recipient.account;
  header.dst_domain = mail.recipient.domain;
  header.src_account = mail.sender.account;
  header.src_domain = mail.sender.domain;
  const std::string bytes =
      wire::SerializeMessage(header, /*log=*/"", *body, sealed_attachments);

  // Parsing our own bytes applies the same limits a server applies, so an
  // oversize message is refused here with a clear reason instead of there.
  absl::StatusOr<ParsedMessageBytes> parsed = ParseMessageBytes(bytes, limits);
  if (!parsed.ok()) return parsed.status();
  if (parsed->trailing_bytes != 0) {
    return error::Internal("the serializer wrote bytes past the message");
  }
  return std::move(parsed->message);
}

}  // namespace cmtp::client
