#include "lib/client/session.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/client/failures.h"
#include "lib/client/message_bytes.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/crypto/log_entry.h"
#include "lib/crypto/protocol_signatures.h"
#include "lib/crypto/xzibit.h"
#include "lib/wire/message_id.h"
#include "lib/wire/serializer.h"

namespace cmtp::client {
namespace {

wire::Command CommandOf(wire::CommandKind kind) {
  wire::Command command;
  command.kind = kind;
  return command;
}

// The bytes a status reply's signature covers for `command` once serialized
// as `request` (docs/protocol.md, "Status reply").
std::string_view SignedRequestBytes(const wire::Command& command,
                                    std::string_view request) {
  return command.kind == wire::CommandKind::kMail ? std::string_view(command.mail.bytes)
                                                  : request;
}

absl::Status CheckCryptoType(uint32_t crypto_type) {
  if (crypto_type != wire::kCryptoTypeEd25519) {
    return error::Unavailable(
        absl::StrCat("the server answered with unsupported crypto type ", crypto_type));
  }
  return absl::OkStatus();
}

// Server-supplied data (xzibit, KDF parameters) that we cannot use is the
// server's fault, not the caller's: a wrong password stays a crypto failure,
// anything else becomes Unavailable with the reason.
absl::Status FromServerData(const absl::Status& status, std::string_view what) {
  if (IsCryptoFailure(status)) return status;
  return error::Unavailable(
      absl::StrCat("the server sent an unusable ", ToAbsl(what), ": ", status.message()));
}

}  // namespace

Session::Session(std::unique_ptr<Connection> connection)
    : connection_(std::move(connection)) {
  crypto::EnsureSodium();
}

absl::StatusOr<Session> Session::Connect(const Endpoint& endpoint,
                                         const ConnectionOptions& options) {
  absl::StatusOr<std::unique_ptr<Connection>> connection =
      Connection::Open(endpoint, options);
  if (!connection.ok()) return connection.status();
  return Session(std::move(*connection));
}

absl::StatusOr<std::string> Session::ExchangeText(wire::CommandKind kind) {
  absl::StatusOr<wire::Reply> reply = connection_->Exchange(
      wire::SerializeCommand(CommandOf(kind)), wire::ReplyKind::kText);
  if (!reply.ok()) return reply.status();
  return std::move(reply->text);
}

absl::StatusOr<std::string> Session::Ohai() {
  return ExchangeText(wire::CommandKind::kOhai);
}
absl::StatusOr<std::string> Session::Noop() {
  return ExchangeText(wire::CommandKind::kNoop);
}

absl::Status Session::Quit() { return ExchangeText(wire::CommandKind::kObai).status(); }

absl::StatusOr<std::string> Session::ServerKey() {
  if (server_key_.has_value()) return *server_key_;
  absl::StatusOr<wire::Reply> reply = connection_->Exchange(
      wire::SerializeCommand(CommandOf(wire::CommandKind::kKeyRequest)),
      wire::ReplyKind::kKeyBlock);
  if (!reply.ok()) return reply.status();
  if (!reply->key_available) {
    return error::Unavailable(
        absl::StrCat(connection_->endpoint().ToString(), " did not present its own key"));
  }
  if (absl::Status type = CheckCryptoType(reply->crypto_type); !type.ok()) return type;
  if (!crypto::Verify(reply->public_key, reply->public_key, reply->signature)) {
    return error::CryptoFailure(absl::StrCat("the key block of ",
                                             connection_->endpoint().ToString(),
                                             " is not signed by its own key"));
  }
  if (expected_server_key_.has_value() && *expected_server_key_ != reply->public_key) {
    return error::CryptoFailure(absl::StrCat(
        "the server key of ", connection_->endpoint().ToString(), " changed from ",
        crypto::ToHex(*expected_server_key_), " to ", crypto::ToHex(reply->public_key)));
  }
  server_key_ = std::move(reply->public_key);
  return *server_key_;
}

absl::StatusOr<std::string> Session::KeyRequest(std::string_view account,
                                                std::string_view domain) {
  if (account.empty() || domain.empty()) {
    return error::InvalidInput("KEYREQUEST needs an account and a domain");
  }
  absl::StatusOr<std::string> server_key = ServerKey();
  if (!server_key.ok()) return server_key.status();
  wire::Command command = CommandOf(wire::CommandKind::kKeyRequest);
  command.account = std::string(account);
  command.domain = std::string(domain);
  const std::string request = wire::SerializeCommand(command);
  absl::StatusOr<wire::Reply> reply =
      connection_->Exchange(request, wire::ReplyKind::kKeyBlock);
  if (!reply.ok()) return reply.status();
  // A server that could not find out (its keyserver, or the foreign server,
  // unreachable) says so with a signed FAILURE rather than "not available".
  if (reply->has_status) {
    if (absl::Status verified = VerifyStatusReply(*reply, request, "KEYREQUEST");
        !verified.ok()) {
      return verified;
    }
    return error::Unavailable("the server answered KEYREQUEST with SUCCESS, not a key");
  }
  const std::string address = absl::StrCat(ToAbsl(account), "@", ToAbsl(domain));
  if (!reply->key_available) {
    if (!crypto::Verify(*server_key, wire::NotAvailableSignedBytes(), reply->signature)) {
      return error::CryptoFailure(absl::StrCat("the key-not-available answer for ",
                                               address, " is not signed by the server"));
    }
    return error::NotFound(absl::StrCat("the server has no key for ", address));
  }
  if (absl::Status type = CheckCryptoType(reply->crypto_type); !type.ok()) return type;
  if (!crypto::Verify(*server_key, reply->public_key, reply->signature)) {
    return error::CryptoFailure(
        absl::StrCat("the key block for ", address, " is not signed by the server"));
  }
  return std::move(reply->public_key);
}

absl::StatusOr<std::string> Session::DomainServerKey(std::string_view domain) {
  absl::StatusOr<std::string> key = KeyRequest(crypto::kServerKeyAccount, domain);
  if (absl::IsNotFound(key.status())) {
    return error::NotFound(
        absl::StrCat("the server has no server key for ", ToAbsl(domain)));
  }
  return key;
}

absl::Status Session::VerifyStatusReply(const wire::Reply& reply,
                                        std::string_view request_bytes,
                                        std::string_view command_word) {
  if (!reply.has_status) {
    return error::Unavailable(
        absl::StrCat("the server answered ", ToAbsl(command_word), " without a status"));
  }
  // A FAILURE may be signed over no request at all: the server refused
  // before it had a whole request (an oversize MAIL, a protocol error). Such a
  // refusal proves nothing about our request, but it cannot pass for a
  // receipt either, so its reason is reported as a refusal.
  const bool early_refusal =
      !reply.status.success && crypto::VerifyStatus(*server_key_, reply.status, "");
  if (!early_refusal &&
      !crypto::VerifyStatus(*server_key_, reply.status, request_bytes)) {
    return error::CryptoFailure(
        absl::StrCat("the ", reply.status.success ? "SUCCESS" : "FAILURE", " reply to ",
                     ToAbsl(command_word), " is not signed by the server"));
  }
  if (!reply.status.success) return ServerRefusal(command_word, reply.status.detail);
  return absl::OkStatus();
}

absl::StatusOr<wire::Reply> Session::ExchangeWithStatus(const wire::Command& command,
                                                        wire::ReplyKind kind) {
  // The key is fetched before the command goes out: one reply at a time.
  if (absl::StatusOr<std::string> key = ServerKey(); !key.ok()) return key.status();
  const std::string request = wire::SerializeCommand(command);
  absl::StatusOr<wire::Reply> reply = connection_->Exchange(request, kind);
  if (!reply.ok()) return reply.status();
  if (absl::Status verified = VerifyStatusReply(
          *reply, SignedRequestBytes(command, request), wire::CommandWord(command.kind));
      !verified.ok()) {
    return verified;
  }
  return reply;
}

absl::Status Session::Register(const MailAddress& address, std::string_view invite_token,
                               const NewAccount& account) {
  wire::Command command = CommandOf(wire::CommandKind::kRegister);
  command.account = address.account;
  command.domain = address.domain;
  command.argument = std::string(invite_token);
  command.crypto_type = wire::kCryptoTypeEd25519;
  command.public_key = account.identity.public_key;
  command.login_public_key = account.login_public_key;
  command.xzibit = account.xzibit;
  command.signature = account.signature;
  return ExchangeWithStatus(command, wire::ReplyKind::kStatus).status();
}

absl::StatusOr<LoginResult> Session::Login(const MailAddress& address,
                                           std::string_view password) {
  absl::StatusOr<std::string> server_key = ServerKey();
  if (!server_key.ok()) return server_key.status();
  wire::Command command = CommandOf(wire::CommandKind::kLogin);
  command.account = address.account;
  const std::string request = wire::SerializeCommand(command);
  absl::StatusOr<wire::Reply> reply =
      connection_->Exchange(request, wire::ReplyKind::kLogin);
  if (!reply.ok()) return reply.status();
  if (reply->has_status) {
    if (absl::Status verified = VerifyStatusReply(*reply, request, "LOGIN");
        !verified.ok()) {
      return verified;
    }
    return error::Unavailable("the server answered LOGIN with a bare SUCCESS");
  }
  switch (reply->login_version) {
    case 1:
      return LoginV1(address, password, *reply);
    case 2:
      return LoginV2(address, password, *reply);
    case 0:
      // The key-not-available block: no such account.
      if (!crypto::Verify(*server_key, wire::NotAvailableSignedBytes(),
                          reply->signature)) {
        return error::CryptoFailure(
            "the unknown-account answer to LOGIN is not signed by the server");
      }
      return error::NotFound(
          absl::StrCat("the server has no account ", address.ToString()));
    default:
      return error::Unavailable(
          absl::StrCat("the server answered LOGIN with version ", reply->login_version));
  }
}

absl::StatusOr<LoginResult> Session::LoginV1(const MailAddress& address,
                                             std::string_view password,
                                             const wire::Reply& reply) {
  if (!crypto::Verify(*server_key_, reply.xzibit, reply.signature)) {
    return error::CryptoFailure("the xzibit from LOGIN is not signed by the server");
  }
  absl::StatusOr<crypto::KeyPair> identity =
      crypto::OpenXzibit(reply.xzibit, password, address.ToString());
  if (!identity.ok()) return FromServerData(identity.status(), "xzibit");
  return LoginResult{1, reply.xzibit, std::move(*identity)};
}

absl::StatusOr<LoginResult> Session::LoginV2(const MailAddress& address,
                                             std::string_view password,
                                             const wire::Reply& reply) {
  // Rebuilt from the parsed fields so the check covers exactly what is used.
  const std::string challenge_block = wire::LoginChallengeSignedBytes(
      reply.salt, reply.opslimit, reply.memlimit, reply.challenge);
  if (!crypto::Verify(*server_key_, challenge_block, reply.signature)) {
    return error::CryptoFailure("the login challenge is not signed by the server");
  }
  absl::StatusOr<crypto::KeyPair> login_key =
      crypto::DeriveLoginKey(password, reply.salt, reply.opslimit, reply.memlimit);
  if (!login_key.ok()) return FromServerData(login_key.status(), "login challenge");

  wire::Command proof = CommandOf(wire::CommandKind::kLoginProof);
  proof.account = address.account;
  proof.signature = crypto::Sign(login_key->secret_key.view(),
                                 crypto::LoginSignedBytes(address.account, address.domain,
                                                          reply.challenge, *server_key_));
  absl::StatusOr<wire::Reply> released =
      ExchangeWithStatus(proof, wire::ReplyKind::kStatusXzibit);
  if (!released.ok()) return released.status();
  if (!crypto::Verify(*server_key_, released->xzibit, released->signature)) {
    return error::CryptoFailure("the xzibit from LOGINPROOF is not signed by the server");
  }
  absl::StatusOr<crypto::KeyPair> identity =
      crypto::OpenXzibit(released->xzibit, password, address.ToString());
  if (!identity.ok()) return FromServerData(identity.status(), "xzibit");
  return LoginResult{2, std::move(released->xzibit), std::move(*identity)};
}

absl::Status Session::Authenticate(const MailAddress& address,
                                   const crypto::KeyPair& identity) {
  absl::StatusOr<std::string> server_key = ServerKey();
  if (!server_key.ok()) return server_key.status();
  absl::StatusOr<wire::Reply> challenge = connection_->Exchange(
      wire::SerializeCommand(CommandOf(wire::CommandKind::kChallenge)),
      wire::ReplyKind::kChallenge);
  if (!challenge.ok()) return challenge.status();
  if (challenge->challenge.size() != crypto::kChallengeSize) {
    return error::Unavailable("the server's CHALLENGE is not 32 bytes");
  }
  wire::Command auth = CommandOf(wire::CommandKind::kAuth);
  auth.account = address.account;
  auth.signature =
      crypto::Sign(identity.secret_key.view(),
                   crypto::AuthSignedBytes(address.account, address.domain,
                                           challenge->challenge, *server_key));
  return ExchangeWithStatus(auth, wire::ReplyKind::kStatus).status();
}

absl::StatusOr<std::vector<wire::ListEntry>> Session::List() {
  absl::StatusOr<wire::Reply> reply = ExchangeWithStatus(
      CommandOf(wire::CommandKind::kList), wire::ReplyKind::kStatusList);
  if (!reply.ok()) return reply.status();
  return std::move(reply->entries);
}

absl::StatusOr<wire::MailMessage> Session::Fetch(std::string_view message_id) {
  if (!wire::IsMessageId(message_id)) {
    return error::InvalidInput(
        absl::StrCat("\"", ToAbsl(message_id), "\" is not a message id (32 hex digits)"));
  }
  wire::Command command = CommandOf(wire::CommandKind::kFetch);
  command.argument = std::string(message_id);
  absl::StatusOr<wire::Reply> reply =
      ExchangeWithStatus(command, wire::ReplyKind::kStatusBlob);
  if (!reply.ok()) return reply.status();
  absl::StatusOr<ParsedMessageBytes> parsed =
      ParseMessageBytes(reply->blob, wire::Limits{});
  if (!parsed.ok()) {
    return error::Unavailable(absl::StrCat("the server returned a broken message: ",
                                           parsed.status().message()));
  }
  if (parsed->trailing_bytes != 0) {
    return error::Unavailable("the server returned a message with trailing bytes");
  }
  // The id is a content hash: a server cannot pass off another message.
  const std::string actual_id = wire::MessageId(parsed->message);
  if (actual_id != message_id) {
    return error::CryptoFailure(absl::StrCat("the server returned message ", actual_id,
                                             " when asked for ", ToAbsl(message_id)));
  }
  return std::move(parsed->message);
}

absl::Status Session::Delete(std::string_view message_id) {
  if (!wire::IsMessageId(message_id)) {
    return error::InvalidInput(
        absl::StrCat("\"", ToAbsl(message_id), "\" is not a message id (32 hex digits)"));
  }
  wire::Command command = CommandOf(wire::CommandKind::kDelete);
  command.argument = std::string(message_id);
  return ExchangeWithStatus(command, wire::ReplyKind::kStatus).status();
}

absl::StatusOr<std::string> Session::SendMail(const wire::MailMessage& message) {
  wire::Command command = CommandOf(wire::CommandKind::kMail);
  command.mail = message;
  absl::StatusOr<wire::Reply> reply =
      ExchangeWithStatus(command, wire::ReplyKind::kStatus);
  if (!reply.ok()) return reply.status();
  const std::string expected_id = wire::MessageId(message);
  if (reply->status.detail != expected_id) {
    return error::CryptoFailure(absl::StrCat("the receipt names message \"",
                                             reply->status.detail, "\" but we sent ",
                                             expected_id));
  }
  return std::move(reply->status.detail);
}

}  // namespace cmtp::client
