#include "lib/client/received_mail.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"

namespace cmtp::client {

absl::StatusOr<OpenedMail> OpenMail(const wire::MailMessage& message,
                                    const crypto::KeyPair& recipient) {
  OpenedMail opened;
  opened.envelope = message.header;
  absl::StatusOr<std::string> plaintext = crypto::OpenSealed(recipient, message.body());
  if (!plaintext.ok()) {
    return error::CryptoFailure(
        absl::StrCat("the message body does not open with ",
                     "this account's key: ", plaintext.status().message()));
  }
  absl::StatusOr<crypto::DecodedInner> inner = crypto::DecodeInner(*plaintext);
  if (!inner.ok()) {
    return error::CryptoFailure(
        absl::StrCat("the inner message is malformed: ", inner.status().message()));
  }
  opened.inner = std::move(*inner);
  for (size_t i = 0; i < message.attachment_spans.size(); ++i) {
    absl::StatusOr<crypto::Attachment> attachment =
        crypto::OpenAttachment(recipient, message.attachment(i));
    if (!attachment.ok()) {
      return error::CryptoFailure(absl::StrCat(
          "attachment ", i + 1, " does not open: ", attachment.status().message()));
    }
    opened.attachments.push_back(std::move(*attachment));
  }
  return opened;
}

absl::StatusOr<MailAddress> ClaimedSender(const OpenedMail& mail) {
  if (!mail.inner.structured) {
    return error::InvalidInput("an unsigned message names no signer");
  }
  return ParseMailAddress(mail.inner.message.from);
}

SignatureCheck CheckSignature(const OpenedMail& mail, const MailAddress& reader,
                              const std::optional<std::string>& sender_public_key) {
  SignatureCheck check;
  if (!mail.inner.structured) {
    check.verdict = SignatureVerdict::kUnsigned;
    return check;
  }
  const crypto::InnerMessage& inner = mail.inner.message;
  check.signer = inner.from;
  const std::string envelope_sender =
      absl::StrCat(mail.envelope.src_account, "@", mail.envelope.src_domain);
  if (inner.from != envelope_sender) {
    check.reason =
        absl::StrCat("signed as ", inner.from, " but sent by ", envelope_sender);
    return check;
  }
  // `to` and `cc` are inside the signature: a copy re-sealed to someone it
  // was not written to is caught here.
  const std::string me = reader.ToString();
  if (inner.to != me &&
      std::find(inner.cc.begin(), inner.cc.end(), me) == inner.cc.end()) {
    check.reason = absl::StrCat("written to ", inner.to, ", not to ", me);
    return check;
  }
  if (!sender_public_key.has_value()) {
    check.reason = absl::StrCat("no key for ", inner.from);
    return check;
  }
  if (!crypto::VerifyInner(mail.inner, *sender_public_key)) {
    check.reason = absl::StrCat("the signature does not match the key of ", inner.from);
    return check;
  }
  check.verdict = SignatureVerdict::kVerified;
  return check;
}

}  // namespace cmtp::client
