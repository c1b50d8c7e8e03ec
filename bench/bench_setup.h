// What a benchmark needs before its clock starts: the server's key, a
// recipient with a published key (registered here, or an existing account
// whose key is fetched with KEYREQUEST), a sender that can sign, and the
// sealed messages themselves. Sealing is the client's cost, not the
// server's, so it all happens here.
#ifndef CMTP_BENCH_BENCH_SETUP_H_
#define CMTP_BENCH_BENCH_SETUP_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/client/endpoint.h"
#include "lib/client/mail_address.h"
#include "lib/crypto/sodium.h"
#include "lib/wire/message.h"

namespace cmtp::bench {

struct SetupOptions {
  client::Endpoint server;
  std::string domain;  // the domain the server serves
  // An existing recipient (account@domain); empty: register a fresh one.
  std::string to;
  // Register the sender too (it then exists like any user); otherwise the
  // sender is a fresh key under an unregistered name, which local delivery
  // allows.
  bool register_sender = true;
  std::string invite_token;  // for servers whose policy is `invite`
  // Cross-domain: register a fresh recipient at this other server (of
  // `recipient_domain`) and fetch its key through `server`, whose relay asks
  // the other domain. Empty: the recipient is local to `server`.
  std::optional<client::Endpoint> recipient_server;
  std::string recipient_domain;
};

struct Accounts {
  std::string server_key;  // Ed25519, 32 bytes, as the server presented it
  client::MailAddress recipient;
  std::string recipient_key;
  client::MailAddress sender;
  crypto::KeyPair sender_identity;
  // Set when the recipient was registered here: lets the benchmark log in
  // as the recipient to watch deliveries arrive.
  std::optional<crypto::KeyPair> recipient_identity;
};

absl::StatusOr<Accounts> PrepareAccounts(const SetupOptions& options);

struct PreparedMail {
  wire::MailMessage message;
  std::string id;  // what the SUCCESS receipt must name
};

// `count` distinct messages whose sealed body is `body_size` bytes (or the
// smallest possible body, if that is larger), built on `threads` threads.
absl::StatusOr<std::vector<PreparedMail>> BuildMails(const Accounts& accounts,
                                                     size_t count, size_t body_size,
                                                     unsigned threads);

}  // namespace cmtp::bench

#endif  // CMTP_BENCH_BENCH_SETUP_H_
