// The message id: a content hash of a message without its log, so it stays
// the same across hops and retries (see docs/protocol.md).
#ifndef CMTP_LIB_WIRE_MESSAGE_ID_H_
#define CMTP_LIB_WIRE_MESSAGE_ID_H_

#include <string>

#include "lib/wire/message.h"

namespace cmtp::wire {

// 32 lowercase hex characters.
std::string MessageId(const MailMessage& message);

// True when `id` has the shape of a message id (32 lowercase hex characters).
bool IsMessageId(std::string_view id);

}  // namespace cmtp::wire

#endif  // CMTP_LIB_WIRE_MESSAGE_ID_H_
