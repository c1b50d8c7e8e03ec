// Checking the path a received message took: each server that accepted it
// signed an entry in its log (docs/protocol.md, "The log"), verified here
// with that domain's server key.
#ifndef CMTP_LIB_CLIENT_MESSAGE_PATH_H_
#define CMTP_LIB_CLIENT_MESSAGE_PATH_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/crypto/log_entry.h"
#include "lib/wire/message.h"

namespace cmtp::client {

enum class HopVerdict {
  kVerified,     // signed by the server key of the entry's domain
  kNotVerified,  // the signature does not match that key
  kNotChecked,   // the domain's server key could not be obtained (see reason)
  kNotAnEntry,   // a line without the entry layout: shown as text
};

struct Hop {
  std::string text;  // the log line, without its NUL
  std::optional<crypto::LogEntry> entry;
  HopVerdict verdict = HopVerdict::kNotAnEntry;
  std::string reason;  // for kNotChecked
};

// The server key of a domain, or why it cannot be had.
using ServerKeyLookup =
    std::function<absl::StatusOr<std::string>(std::string_view domain)>;

// Every line of the message's log with its verdict. `server_key_of` is asked
// once per domain named by an entry.
std::vector<Hop> CheckMessagePath(const wire::MailMessage& message,
                                  const ServerKeyLookup& server_key_of);

}  // namespace cmtp::client

#endif  // CMTP_LIB_CLIENT_MESSAGE_PATH_H_
