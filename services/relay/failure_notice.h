// The failure notice (docs/protocol.md, "Failure notice"): a MAIL in the
// sender's own mailbox from postmaster@<our domain>, whose inner message is
// signed with our server key (so the sender's client verifies it against
// KEYREQUEST\0\0) and sealed to the sender's key, saying which message, to
// whom, what failed and why. Its log carries our one signed entry.
#ifndef CMTP_SERVICES_RELAY_FAILURE_NOTICE_H_
#define CMTP_SERVICES_RELAY_FAILURE_NOTICE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/crypto/sodium.h"

namespace cmtp::relay {

inline constexpr std::string_view kPostmaster = "postmaster";

// What the notice tells.
struct NoticeFacts {
  std::string message_id;
  std::string sender_account;  // local part; the domain is ours
  std::string recipient;       // account@domain the message was for
  std::string reason;
  uint32_t attempts = 0;
  int64_t queued_ms = 0;
  int64_t given_up_ms = 0;
};

struct BuiltNotice {
  std::string message_id;     // of the notice itself
  std::string message_bytes;  // ready for the mailstore
};

// "Undeliverable: message <id> to <recipient>".
std::string NoticeSubject(const NoticeFacts& facts);
// The notice's text: destination, reason, attempts and times.
std::string NoticeText(const NoticeFacts& facts);

// The sender's public key out of the key block the keyserver made, checked to
// be signed by our server key. CryptoFailure when it is not.
absl::StatusOr<std::string> KeyFromOwnKeyBlock(std::string_view key_block,
                                               std::string_view server_public_key);

// Builds the notice for `facts`, sealed to `sender_public_key`, at
// `facts.given_up_ms`. Sealed boxes are random: two calls give two notices
// with different ids (which is why the queue keeps the first one built).
absl::StatusOr<BuiltNotice> ComposeFailureNotice(const NoticeFacts& facts,
                                                 std::string_view domain,
                                                 std::string_view sender_public_key,
                                                 const crypto::KeyPair& server_key);

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_FAILURE_NOTICE_H_
