// KEYREQUEST: the server's own key, a local account's key, or a foreign one
// fetched by the relay from the owning server and vouched for here with this
// server's signature. `*` as the account names a domain's server key
// (docs/protocol.md, "Server keys of other domains").
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "lib/common/strings.h"
#include "lib/crypto/log_entry.h"
#include "lib/crypto/protocol_signatures.h"
#include "services/gateway/command_handlers.h"
#include "services/gateway/status_reply.h"

namespace cmtp::gateway {
namespace {

// A foreign key as this server vouches for it: our key block, the
// not-available block when the owning server has none, or a FAILURE when it
// cannot be asked (told apart from a genuine "not available").
asio::awaitable<std::string> ForeignKeyReply(const GatewayContext& gateway,
                                             const wire::Command& command,
                                             std::string account) {
  // Without a relay this gateway honestly has no foreign key to vouch for.
  if (gateway.relay() == nullptr) co_return gateway.not_available_block();
  absl::StatusOr<ForeignKey> key =
      co_await gateway.relay()->FetchKey(command.domain, std::move(account));
  if (key.ok()) {
    co_return crypto::MakeKeyBlock(gateway.server_secret_key(), key->public_key);
  }
  if (absl::IsNotFound(key.status())) co_return gateway.not_available_block();
  co_return FailureReply(gateway, command, FromAbsl(key.status().message()));
}

}  // namespace

asio::awaitable<std::string> HandleKeyRequest(const GatewayContext& gateway,
                                              const wire::Command& command) {
  if (command.account.empty()) co_return gateway.server_key_block();

  // The reference client always names the domain; an empty one can only
  // mean ours.
  const bool local = command.domain.empty() || gateway.IsLocalDomain(command.domain);
  if (command.account == crypto::kServerKeyAccount) {
    if (local) co_return gateway.server_key_block();
    std::string reply = co_await ForeignKeyReply(gateway, command, "");
    co_return reply;
  }
  if (!local) {
    std::string reply = co_await ForeignKeyReply(gateway, command, command.account);
    co_return reply;
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
