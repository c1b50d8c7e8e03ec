// MAIL: for a local mailbox from anyone, for a foreign domain only from the
// authenticated sender (then to the relay's queue). Either way this server's
// log entry is appended first, and SUCCESS is sent only once the message is
// durable. The body travels from the parser's buffer into the request to the
// mailstore or relay without a copy; inserting the log entry moves it once
// within its buffer. One log line per MAIL (MailLogLine) with a fresh request
// id that the mailstore's or relay's lines for it carry too.
#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/crypto/log_entry.h"
#include "lib/crypto/sodium.h"
#include "lib/observability/logger.h"
#include "lib/observability/request_id.h"
#include "lib/wire/message.h"
#include "lib/wire/message_id.h"
#include "services/gateway/command_handlers.h"
#include "services/gateway/status_reply.h"

namespace cmtp::gateway {
namespace {

constexpr char kRelayingDenied[] = "relaying denied: authenticate as the sender first";

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

// Never an open relay: only a session that proved to be the local sender
// named in the envelope may send beyond this domain.
bool MayRelay(const GatewayContext& gateway, const SessionState& session,
              const wire::MailHeader& header) {
  return session.authenticated_account.has_value() &&
         *session.authenticated_account == header.src_account &&
         gateway.IsLocalDomain(header.src_domain);
}

// Why this MAIL cannot be taken, or OkStatus.
asio::awaitable<absl::Status> CheckAcceptable(const GatewayContext& gateway,
                                              const SessionState& session,
                                              const wire::MailHeader& header) {
  if (header.crypto_type != wire::kCryptoTypeEd25519) {
    co_return error::InvalidInput(absl::StrCat(
        "unsupported crypto type ", header.crypto_type, " (only 1 is supported)"));
  }
  if (gateway.IsLocalDomain(header.dst_domain)) {
    absl::Status recipient = co_await CheckRecipient(gateway, header);
    co_return recipient;
  }
  if (gateway.relay() == nullptr) {
    co_return error::PermissionDenied(absl::StrCat(
        "cannot deliver to ", header.dst_domain, ": this server delivers only to ",
        gateway.domain(), " (no relay configured)"));
  }
  if (!MayRelay(gateway, session, header)) {
    co_return error::PermissionDenied(kRelayingDenied);
  }
  co_return absl::OkStatus();
}

// Stores the message (log entry included) in its local mailbox.
asio::awaitable<absl::Status> Store(const GatewayContext& gateway,
                                    wire::MailMessage& mail,
                                    const std::string& message_id,
                                    const std::string& request_id) {
  const wire::MailHeader& header = mail.header;
  Delivery delivery;
  delivery.mailbox = header.dst_account;
  delivery.message_id = message_id;
  delivery.src_account = header.src_account;
  delivery.src_domain = header.src_domain;
  delivery.request_id = request_id;
  delivery.blob = std::move(mail.bytes);
  absl::StatusOr<MessageMeta> stored = co_await gateway.mailboxes().Put(delivery);
  // Put hands the bytes back.
  mail.bytes = std::move(delivery.blob);
  co_return stored.status();
}

// Queues the message (log entry included) at the relay.
asio::awaitable<absl::Status> Enqueue(const GatewayContext& gateway,
                                      wire::MailMessage& mail,
                                      const std::string& message_id,
                                      const std::string& request_id) {
  const wire::MailHeader& header = mail.header;
  OutboundMail outbound;
  outbound.message_id = message_id;
  outbound.dst_account = header.dst_account;
  outbound.dst_domain = header.dst_domain;
  outbound.src_account = header.src_account;
  outbound.src_domain = header.src_domain;
  outbound.request_id = request_id;
  outbound.message = std::move(mail.bytes);
  absl::StatusOr<EnqueueReceipt> queued = co_await gateway.relay()->Enqueue(outbound);
  // Enqueue hands the bytes back.
  mail.bytes = std::move(outbound.message);
  co_return queued.status();
}

// The one log line of a MAIL. It names the recipient's domain only as local or
// foreign and a refusal only by its code: never an account or an address.
class MailLogLine {
 public:
  MailLogLine(const GatewayContext& gateway, const SessionState& session,
              std::string request_id, size_t size, bool local)
      : gateway_(gateway),
        session_(session),
        request_id_(std::move(request_id)),
        size_(size),
        local_(local),
        start_(std::chrono::steady_clock::now()) {}

  const std::string& request_id() const { return request_id_; }

  void Write(std::string_view outcome, const absl::Status& status,
             std::string_view message_id) const {
    const observability::LogLevel level = IsServerFailure(status)
                                              ? observability::LogLevel::kWarning
                                              : observability::LogLevel::kInfo;
    if (!gateway_.logger().Enabled(level)) return;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    gateway_.logger().Log(level, "mail",
                          {{"request_id", request_id_},
                           {"session", session_.session_id},
                           {"outcome", outcome},
                           {"code", absl::StatusCodeToString(status.code())},
                           {"size", size_},
                           {"recipient", local_ ? "local" : "foreign"},
                           {"message_id", message_id},
                           {"duration_seconds", seconds}});
  }

 private:
  // Failures of the services behind the gateway, as CallStatus reports them.
  static bool IsServerFailure(const absl::Status& status) {
    return absl::IsUnavailable(status) || absl::IsInternal(status);
  }

  const GatewayContext& gateway_;
  const SessionState& session_;
  const std::string request_id_;
  const size_t size_;
  const bool local_;
  const std::chrono::steady_clock::time_point start_;
};

}  // namespace

asio::awaitable<std::string> HandleMail(const GatewayContext& gateway,
                                        const SessionState& session,
                                        wire::Command& command) {
  wire::MailMessage& mail = command.mail;
  gateway.metrics().ObserveMessageSize(mail.bytes.size());
  const bool local = gateway.IsLocalDomain(mail.header.dst_domain);
  // A fresh id per MAIL: it goes to the mailstore or relay with the call, so
  // their log lines for this message carry it too.
  const MailLogLine log(gateway, session, observability::NewRequestId(),
                        mail.bytes.size(), local);
  absl::Status acceptable = co_await CheckAcceptable(gateway, session, mail.header);
  if (!acceptable.ok()) {
    log.Write("refused", acceptable, "");
    co_return FailureReply(gateway, command, FromAbsl(acceptable.message()));
  }

  const std::string message_id = wire::MessageId(mail);
  // The receipt signs the message bytes as received. Made before this
  // server's entry goes into the log, it needs no copy of the bytes without
  // that entry afterwards: the body is moved once (for the entry), not twice.
  std::string receipt = SuccessReply(gateway, command, message_id);
  const std::string entry = crypto::MakeLogEntry(gateway.domain(), gateway.NowUnixMs(),
                                                 message_id, gateway.server_secret_key());
  absl::Status stamped = crypto::InsertLogEntry(mail, entry, gateway.max_log());
  if (!stamped.ok()) {
    log.Write("refused", stamped, message_id);
    co_return FailureReply(gateway, command, FromAbsl(stamped.message()));
  }
  absl::Status durable = absl::OkStatus();
  if (local) {
    durable = co_await Store(gateway, mail, message_id, log.request_id());
  } else {
    durable = co_await Enqueue(gateway, mail, message_id, log.request_id());
  }
  if (!durable.ok()) {
    log.Write("failed", durable, message_id);
    // A FAILURE, too, signs the bytes as received, without our entry.
    crypto::RemoveInsertedLogEntry(mail, entry.size());
    co_return FailureReply(gateway, command, FromAbsl(durable.message()));
  }
  log.Write(local ? "stored" : "queued", durable, message_id);
  co_return receipt;
}

}  // namespace cmtp::gateway
