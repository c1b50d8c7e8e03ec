// The message log's signed entries (docs/protocol.md, "The log"): every
// server that accepts a MAIL appends one, so a receiver can check which
// servers the message passed and when.
//
//   entry = "CMTP-LOG-1 accepted " domain " " unix_ms " " hex(sig) "\0"
//   sig   = Ed25519 by that server's key over
//           "CMTP-LOG-1\0" | "accepted\0" | domain "\0" | u64 unix_ms | message_id
#ifndef CMTP_LIB_CRYPTO_LOG_ENTRY_H_
#define CMTP_LIB_CRYPTO_LOG_ENTRY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/wire/message.h"

namespace cmtp::crypto {

// The account name that asks KEYREQUEST for a domain's server key rather
// than a user's (`KEYREQUEST\0*\0domain\0`): how a reader gets the key to
// verify a foreign server's entries through its own server. No account can
// be called this (account names are [a-z0-9._-]).
inline constexpr std::string_view kServerKeyAccount = "*";

// The one action entries record today.
inline constexpr std::string_view kLogActionAccepted = "accepted";

// A log entry as it reads back.
struct LogEntry {
  std::string action;  // "accepted"
  std::string domain;  // the server's domain
  int64_t unix_ms = 0;
  std::string signature;  // 64 bytes
};

// What an entry's signature covers.
std::string LogEntrySignedBytes(std::string_view action, std::string_view domain,
                                int64_t unix_ms, std::string_view message_id);

// The entry's bytes as they go into the log, its NUL included. `unix_ms`
// must not be negative; `domain` is a str (no NUL).
std::string MakeLogEntry(std::string_view domain, int64_t unix_ms,
                         std::string_view message_id, std::string_view server_secret_key);

// The message bytes (everything after `MAIL\0`) with a new entry at the end
// of the log and log_len updated. The result is the one copy of the message
// this makes. InvalidInput when the bytes do not hold a MAIL header and log;
// LimitExceeded when the log would grow past `max_log`.
absl::StatusOr<std::string> AppendLogEntry(std::string_view message_bytes,
                                           std::string_view domain, int64_t unix_ms,
                                           std::string_view message_id,
                                           std::string_view server_secret_key,
                                           uint64_t max_log);

// In place, for a server holding a parsed message: inserts `entry` (made by
// MakeLogEntry) at the end of the log and updates the header, the log_len
// bytes and the spans. The bytes are moved, not copied, when their capacity
// allows. LimitExceeded (nothing changed) when the log would grow past
// `max_log`.
absl::Status InsertLogEntry(wire::MailMessage& message, std::string_view entry,
                            uint64_t max_log);
// Undoes InsertLogEntry of an entry of `entry_size` bytes, restoring the
// message bytes exactly (a receipt signs the bytes as received).
void RemoveInsertedLogEntry(wire::MailMessage& message, size_t entry_size);

// One NUL-terminated line of a log. `entry` is set when the line has the
// entry layout; any other text (an older client's, a reference server's) is
// kept as it is for display.
struct LogLine {
  std::string text;  // without the NUL
  std::optional<LogEntry> entry;
};

// Every line of `log`, in order. A last line without its NUL is kept too.
std::vector<LogLine> ParseLogEntries(std::string_view log);

// True when `entry` is signed by `server_public_key` for `message_id`.
bool VerifyLogEntry(const LogEntry& entry, std::string_view message_id,
                    std::string_view server_public_key);

}  // namespace cmtp::crypto

#endif  // CMTP_LIB_CRYPTO_LOG_ENTRY_H_
