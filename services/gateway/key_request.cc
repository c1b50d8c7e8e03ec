// KEYREQUEST: the server's own key, a local account's key, or (for now) the
// not-available block for a foreign domain.
#include "absl/status/status.h"
#include "lib/common/strings.h"
#include "services/gateway/command_handlers.h"
#include "services/gateway/status_reply.h"

namespace cmtp::gateway {

asio::awaitable<std::string> HandleKeyRequest(const GatewayContext& gateway,
                                              const wire::Command& command) {
  if (command.account.empty()) co_return gateway.server_key_block();

  // The reference client always names the domain; an empty one can only
  // mean ours.
  if (!command.domain.empty() && !gateway.IsLocalDomain(command.domain)) {
    // Foreign keys will be fetched by the relay from the owning server; until
    // then this gateway honestly has no key to vouch for.
    co_return gateway.not_available_block();
  }

  absl::StatusOr<KeyBlock> key = co_await gateway.keys().GetAccountKey(command.account);
  if (key.ok()) {
    gateway.recipients().Remember(command.account);
    co_return std::move(key->wire_bytes);
  }
  if (absl::IsNotFound(key.status())) co_return gateway.not_available_block();
  co_return FailureReply(gateway, command, FromAbsl(key.status().message()));
}

}  // namespace cmtp::gateway
