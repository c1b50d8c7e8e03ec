#include "services/gateway/gateway_context.h"

#include <utility>

#include "absl/strings/match.h"
#include "lib/common/strings.h"
#include "lib/crypto/protocol_signatures.h"

namespace cmtp::gateway {

GatewayContext::GatewayContext(std::string domain, crypto::KeyPair server_key,
                               KeyDirectory& keys, Mailboxes& mailboxes,
                               RecipientCache& recipients)
    : domain_(std::move(domain)),
      server_key_(std::move(server_key)),
      server_key_block_(
          crypto::MakeKeyBlock(server_key_.secret_key.view(), server_key_.public_key)),
      not_available_block_(crypto::MakeNotAvailableBlock(server_key_.secret_key.view())),
      keys_(keys),
      mailboxes_(mailboxes),
      recipients_(recipients) {}

bool GatewayContext::IsLocalDomain(std::string_view domain) const {
  return absl::EqualsIgnoreCase(ToAbsl(domain), domain_);
}

}  // namespace cmtp::gateway
