// The CMTP operations a client performs over one Connection, with every
// server signature checked: key blocks, login replies and status receipts are
// verified against the server's key, fetched with KEYREQUEST\0\0 on first use
// (or supplied by the caller when it is pinned).
#ifndef CMTP_LIB_CLIENT_SESSION_H_
#define CMTP_LIB_CLIENT_SESSION_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/client/connection.h"
#include "lib/client/mail_address.h"
#include "lib/client/new_account.h"
#include "lib/crypto/sodium.h"
#include "lib/wire/command.h"
#include "lib/wire/message.h"
#include "lib/wire/reply.h"

namespace cmtp::client {

struct LoginResult {
  uint32_t xzibit_version = 0;
  std::string xzibit;        // as the server released it
  crypto::KeyPair identity;  // opened with the password
};

class Session {
 public:
  explicit Session(std::unique_ptr<Connection> connection);

  static absl::StatusOr<Session> Connect(const Endpoint& endpoint,
                                         const ConnectionOptions& options = {});

  Connection& connection() { return *connection_; }

  // Argument-less commands; return the server's text without the NUL.
  absl::StatusOr<std::string> Ohai();
  absl::StatusOr<std::string> Noop();
  // Says goodbye; the server closes afterwards.
  absl::Status Quit();

  // The server's own key: the self-signed answer to KEYREQUEST\0\0, fetched
  // once per session. When `expected` is set (a pinned server key) a
  // different answer is refused.
  absl::StatusOr<std::string> ServerKey();
  void ExpectServerKey(std::string public_key) { expected_server_key_ = public_key; }

  // The public key of account@domain, as signed by this server.
  // NotFound (signed not-available block) when the server knows no such key.
  // A FAILURE reply (the server could not ask) is a refusal, not NotFound.
  absl::StatusOr<std::string> KeyRequest(std::string_view account,
                                         std::string_view domain);
  // The server key of another domain, as this server vouches for it
  // (KEYREQUEST with the account `*`): what verifies that domain's log
  // entries. NotFound when this server cannot vouch for one.
  absl::StatusOr<std::string> DomainServerKey(std::string_view domain);

  // REGISTER with a key pair made on this machine (see new_account.h).
  absl::Status Register(const MailAddress& address, std::string_view invite_token,
                        const NewAccount& account);

  // LOGIN (+ LOGINPROOF for v2 accounts): fetches the sealed key pair and
  // opens it with the password.
  absl::StatusOr<LoginResult> Login(const MailAddress& address,
                                    std::string_view password);

  // CHALLENGE + AUTH signed with the identity key.
  absl::Status Authenticate(const MailAddress& address, const crypto::KeyPair& identity);

  // Mailbox commands; need Authenticate first.
  absl::StatusOr<std::vector<wire::ListEntry>> List();
  // The stored message, checked to hash to `message_id`.
  absl::StatusOr<wire::MailMessage> Fetch(std::string_view message_id);
  absl::Status Delete(std::string_view message_id);

  // MAIL: sends the message and returns its id from the signed SUCCESS
  // receipt, which must cover exactly these message bytes.
  absl::StatusOr<std::string> SendMail(const wire::MailMessage& message);

 private:
  // Sends `command` and checks the status reply's signature over it.
  absl::StatusOr<wire::Reply> ExchangeWithStatus(const wire::Command& command,
                                                 wire::ReplyKind kind);
  absl::Status VerifyStatusReply(const wire::Reply& reply, std::string_view request_bytes,
                                 std::string_view command_word);
  absl::StatusOr<LoginResult> LoginV1(const MailAddress& address,
                                      std::string_view password,
                                      const wire::Reply& reply);
  absl::StatusOr<LoginResult> LoginV2(const MailAddress& address,
                                      std::string_view password,
                                      const wire::Reply& reply);
  absl::StatusOr<std::string> ExchangeText(wire::CommandKind kind);

  std::unique_ptr<Connection> connection_;
  std::optional<std::string> server_key_;
  std::optional<std::string> expected_server_key_;
};

}  // namespace cmtp::client

#endif  // CMTP_LIB_CLIENT_SESSION_H_
