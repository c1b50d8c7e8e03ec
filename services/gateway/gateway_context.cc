#include "services/gateway/gateway_context.h"

#include <chrono>
#include <utility>

#include "absl/strings/match.h"
#include "lib/common/strings.h"
#include "lib/crypto/protocol_signatures.h"

namespace cmtp::gateway {

GatewayContext::GatewayContext(std::string domain, crypto::KeyPair server_key,
                               KeyDirectory& keys, Mailboxes& mailboxes,
                               RecipientCache& recipients, Relay* relay,
                               LogStamping stamping, GatewayObservability observe)
    : domain_(std::move(domain)),
      server_key_(std::move(server_key)),
      server_key_block_(
          crypto::MakeKeyBlock(server_key_.secret_key.view(), server_key_.public_key)),
      not_available_block_(crypto::MakeNotAvailableBlock(server_key_.secret_key.view())),
      keys_(keys),
      mailboxes_(mailboxes),
      recipients_(recipients),
      relay_(relay),
      stamping_(std::move(stamping)),
      registry_(observe.metrics != nullptr ? std::move(observe.metrics)
                                           : std::make_shared<observability::Metrics>()),
      metrics_(*registry_),
      logger_(observe.logger != nullptr
                  ? std::move(observe.logger)
                  : std::make_shared<const observability::Logger>("gateway")) {}

bool GatewayContext::IsLocalDomain(std::string_view domain) const {
  return absl::EqualsIgnoreCase(ToAbsl(domain), domain_);
}

int64_t GatewayContext::NowUnixMs() const {
  if (stamping_.now_unix_ms) return stamping_.now_unix_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace cmtp::gateway
