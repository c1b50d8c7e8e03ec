// Parses stored or fetched message bytes (what follows `MAIL\0` on the wire,
// as FETCH returns them) into a MailMessage, with the same checks and limits
// as a MAIL received by a server.
#ifndef CMTP_LIB_WIRE_MESSAGE_PARSER_H_
#define CMTP_LIB_WIRE_MESSAGE_PARSER_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "lib/wire/limits.h"
#include "lib/wire/message.h"

namespace cmtp::wire {

// The bytes must hold exactly one message: a truncated message or trailing
// bytes are InvalidArgument; a limit is ResourceExhausted.
absl::StatusOr<MailMessage> ParseMessage(std::string_view message_bytes,
                                         const Limits& limits);

}  // namespace cmtp::wire

#endif  // CMTP_LIB_WIRE_MESSAGE_PARSER_H_
