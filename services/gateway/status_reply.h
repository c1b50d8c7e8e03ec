// Signed status replies (docs/protocol.md, "Status reply"): every SUCCESS or
// FAILURE is signed by the server over the request it answers.
#ifndef CMTP_SERVICES_GATEWAY_STATUS_REPLY_H_
#define CMTP_SERVICES_GATEWAY_STATUS_REPLY_H_

#include <string>
#include <string_view>

#include "lib/wire/command.h"
#include "services/gateway/gateway_context.h"

namespace cmtp::gateway {

// `request_bytes` is what the signature binds (Command::SignedRequestBytes,
// or nothing when no complete request exists: a parse error, a busy server).
std::string StatusReplyBytes(const GatewayContext& gateway, bool success,
                             std::string_view request_bytes, std::string_view detail);

std::string SuccessReply(const GatewayContext& gateway, const wire::Command& command,
                         std::string_view detail);
std::string FailureReply(const GatewayContext& gateway, const wire::Command& command,
                         std::string_view reason);

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_STATUS_REPLY_H_
