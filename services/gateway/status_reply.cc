#include "services/gateway/status_reply.h"

#include "lib/crypto/protocol_signatures.h"
#include "lib/wire/serializer.h"

namespace cmtp::gateway {

std::string StatusReplyBytes(const GatewayContext& gateway, bool success,
                             std::string_view request_bytes, std::string_view detail) {
  return wire::StatusReply(
      crypto::MakeStatus(gateway.server_secret_key(), success, request_bytes, detail));
}

std::string SuccessReply(const GatewayContext& gateway, const wire::Command& command,
                         std::string_view detail) {
  return StatusReplyBytes(gateway, true, command.SignedRequestBytes(), detail);
}

std::string FailureReply(const GatewayContext& gateway, const wire::Command& command,
                         std::string_view reason) {
  return StatusReplyBytes(gateway, false, command.SignedRequestBytes(), reason);
}

}  // namespace cmtp::gateway
