// What every session of one gateway shares: who the gateway is (domain,
// server key), the services behind it, and replies that never change. Built
// once at start; sessions hold a reference, so it outlives them all.
#ifndef CMTP_SERVICES_GATEWAY_GATEWAY_CONTEXT_H_
#define CMTP_SERVICES_GATEWAY_GATEWAY_CONTEXT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "lib/crypto/sodium.h"
#include "lib/observability/logger.h"
#include "lib/observability/metrics.h"
#include "lib/wire/limits.h"
#include "services/gateway/backends.h"
#include "services/gateway/gateway_metrics.h"
#include "services/gateway/recipient_cache.h"

namespace cmtp::gateway {

// How the gateway stamps the log of every MAIL it accepts
// (docs/protocol.md, "The log").
struct LogStamping {
  // The sessions' log limit: the entry this server appends must fit in it.
  uint64_t max_log = wire::Limits().max_log;
  // Milliseconds since the Unix epoch; empty: the system clock.
  std::function<int64_t()> now_unix_ms;
};

// Where the gateway counts and logs (gateway_metrics.h, docs/operations.md).
struct GatewayObservability {
  // Null: a registry of the context's own, counted but not served.
  std::shared_ptr<observability::Metrics> metrics;
  // Null: JSON lines on stderr, service "gateway".
  std::shared_ptr<const observability::Logger> logger;
};

class GatewayContext {
 public:
  // `relay` may be null: no relay configured, so mail and key requests for
  // foreign domains are refused.
  GatewayContext(std::string domain, crypto::KeyPair server_key, KeyDirectory& keys,
                 Mailboxes& mailboxes, RecipientCache& recipients, Relay* relay = nullptr,
                 LogStamping stamping = {}, GatewayObservability observe = {});
  GatewayContext(const GatewayContext&) = delete;
  GatewayContext& operator=(const GatewayContext&) = delete;

  const std::string& domain() const { return domain_; }
  // Case-insensitive, as DNS names compare.
  bool IsLocalDomain(std::string_view domain) const;

  std::string_view server_public_key() const { return server_key_.public_key; }
  std::string_view server_secret_key() const { return server_key_.secret_key.view(); }

  // Ed25519 signatures are deterministic, so these two replies are signed
  // once rather than per request.
  const std::string& server_key_block() const { return server_key_block_; }
  const std::string& not_available_block() const { return not_available_block_; }

  KeyDirectory& keys() const { return keys_; }
  Mailboxes& mailboxes() const { return mailboxes_; }
  RecipientCache& recipients() const { return recipients_; }
  // Null when no relay is configured.
  Relay* relay() const { return relay_; }

  uint64_t max_log() const { return stamping_.max_log; }
  int64_t NowUnixMs() const;

  const GatewayMetrics& metrics() const { return metrics_; }
  const observability::Logger& logger() const { return *logger_; }

 private:
  std::string domain_;
  crypto::KeyPair server_key_;
  std::string server_key_block_;
  std::string not_available_block_;
  KeyDirectory& keys_;
  Mailboxes& mailboxes_;
  RecipientCache& recipients_;
  Relay* relay_;
  LogStamping stamping_;
  std::shared_ptr<observability::Metrics> registry_;
  GatewayMetrics metrics_;
  std::shared_ptr<const observability::Logger> logger_;
};

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_GATEWAY_CONTEXT_H_
