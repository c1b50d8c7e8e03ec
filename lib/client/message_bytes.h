// Parsing stored message bytes (what follows `MAIL\0` on the wire, what the
// mailstore keeps and FETCH returns) with the one request parser, so the
// client reads messages exactly as the servers do.
#ifndef CMTP_LIB_CLIENT_MESSAGE_BYTES_H_
#define CMTP_LIB_CLIENT_MESSAGE_BYTES_H_

#include <cstddef>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/wire/limits.h"
#include "lib/wire/message.h"

namespace cmtp::client {

struct ParsedMessageBytes {
  wire::MailMessage message;  // message.bytes excludes any trailing bytes
  size_t trailing_bytes = 0;  // bytes after the last attachment
};

// InvalidArgument when the bytes are not one whole MAIL message. Bytes after
// the message are counted, not judged: the caller decides what they may be.
absl::StatusOr<ParsedMessageBytes> ParseMessageBytes(std::string_view message_bytes,
                                                     const wire::Limits& limits);

}  // namespace cmtp::client

#endif  // CMTP_LIB_CLIENT_MESSAGE_BYTES_H_
