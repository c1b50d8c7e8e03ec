// Building a MAIL message on the sender's machine: the inner message is
// signed with the sender's identity key and sealed, with every attachment, to
// the recipient's key. Servers only ever see the result.
#ifndef CMTP_LIB_CLIENT_OUTGOING_MAIL_H_
#define CMTP_LIB_CLIENT_OUTGOING_MAIL_H_

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/client/mail_address.h"
#include "lib/crypto/inner_message.h"
#include "lib/crypto/sealed.h"
#include "lib/crypto/sodium.h"
#include "lib/wire/limits.h"
#include "lib/wire/message.h"

namespace cmtp::client {

struct OutgoingMail {
  MailAddress sender;
  // The mailbox this copy goes to: the `to` recipient or one of the CCs.
  MailAddress recipient;
  std::string_view recipient_public_key;
  // `from` must be the sender; `to` and `cc` are what every copy shares.
  crypto::InnerMessage inner;
  std::vector<crypto::Attachment> attachments;
};

// The message as it goes on the wire, parsed back so its header, spans and
// limits are exactly what a server will see. InvalidArgument /
// ResourceExhausted when a field or size is out of bounds.
absl::StatusOr<wire::MailMessage> BuildMail(const OutgoingMail& mail,
                                            const crypto::KeyPair& sender_identity,
                                            const wire::Limits& limits = {});

}  // namespace cmtp::client

#endif  // CMTP_LIB_CLIENT_OUTGOING_MAIL_H_
