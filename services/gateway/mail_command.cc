// MAIL to a local mailbox. The body travels from the parser's buffer into
// the storage request without a copy, and SUCCESS is sent only after the
// mailstore reports the message durable.
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/wire/message.h"
#include "lib/wire/message_id.h"
#include "services/gateway/command_handlers.h"
#include "services/gateway/status_reply.h"

namespace cmtp::gateway {
namespace {

// OkStatus when `account` is a local account; NotFound "no such account".
asio::awaitable<absl::Status> CheckRecipient(const GatewayContext& gateway,
                                             const wire::MailHeader& header) {
  if (gateway.recipients().Contains(header.dst_account)) co_return absl::OkStatus();
  absl::StatusOr<KeyBlock> key =
      co_await gateway.keys().GetAccountKey(header.dst_account);
  if (key.ok()) {
    gateway.recipients().Remember(header.dst_account);
    co_return absl::OkStatus();
  }
  if (absl::IsNotFound(key.status())) {
    co_return error::NotFound(
        absl::StrCat("no such account: ", header.dst_account, "@", header.dst_domain));
  }
  co_return key.status();
}

}  // namespace

asio::awaitable<std::string> HandleMail(const GatewayContext& gateway,
                                        wire::Command& command) {
  wire::MailMessage& mail = command.mail;
  const wire::MailHeader& header = mail.header;
  if (header.crypto_type != wire::kCryptoTypeEd25519) {
    co_return FailureReply(gateway, command,
                           absl::StrCat("unsupported crypto type ", header.crypto_type,
                                        " (only 1 is supported)"));
  }
  if (!gateway.IsLocalDomain(header.dst_domain)) {
    // The one place foreign mail is turned away; the relay will take it here.
    co_return FailureReply(gateway, command,
                           absl::StrCat("cannot deliver to ", header.dst_domain,
                                        ": this server delivers only to ",
                                        gateway.domain(), " (no relay configured)"));
  }
  absl::Status recipient = co_await CheckRecipient(gateway, header);
  if (!recipient.ok()) {
    co_return FailureReply(gateway, command, FromAbsl(recipient.message()));
  }

  Delivery delivery;
  delivery.mailbox = header.dst_account;
  delivery.message_id = wire::MessageId(mail);
  delivery.src_account = header.src_account;
  delivery.src_domain = header.src_domain;
  delivery.blob = std::move(mail.bytes);
  absl::StatusOr<MessageMeta> stored = co_await gateway.mailboxes().Put(delivery);
  // Put hands the bytes back: the receipt signs exactly what was received.
  mail.bytes = std::move(delivery.blob);
  if (!stored.ok()) {
    co_return FailureReply(gateway, command, FromAbsl(stored.status().message()));
  }
  co_return SuccessReply(gateway, command, delivery.message_id);
}

}  // namespace cmtp::gateway
