// One relay, assembled: every part of the core wired to the others, owned in
// one place so main and the tests build the relay the same way. The outside
// world comes in as RelayDependencies (Redis, DNS, our own domain's services,
// the server key, the clocks).
#ifndef CMTP_SERVICES_RELAY_RELAY_INSTANCE_H_
#define CMTP_SERVICES_RELAY_RELAY_INSTANCE_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "lib/crypto/sodium.h"
#include "lib/observability/logger.h"
#include "lib/observability/metrics.h"
#include "lib/redis/client.h"
#include "services/relay/delivery_engine.h"
#include "services/relay/discovery.h"
#include "services/relay/idle_connections.h"
#include "services/relay/key_cache.h"
#include "services/relay/key_fetcher.h"
#include "services/relay/local_services.h"
#include "services/relay/mail_delivery.h"
#include "services/relay/outbound_queue.h"
#include "services/relay/peer_connector.h"
#include "services/relay/pin_store.h"
#include "services/relay/queue_processor.h"
#include "services/relay/relay_core.h"
#include "services/relay/relay_metrics.h"
#include "services/relay/relay_options.h"
#include "services/relay/relay_stats.h"

namespace cmtp::relay {

struct RelayDependencies {
  redis::Client& redis;
  Discovery& discovery;
  LocalAccounts& accounts;
  LocalMailboxes& mailboxes;
  const crypto::KeyPair& server_key;
  std::function<int64_t()> wall_now_ms;    // unix ms: queue times, pins, notices
  std::function<int64_t()> steady_now_ms;  // monotonic: idle connections
};

// Where the relay's metrics and log lines go; null members: a registry of
// the instance's own (counted, not served) and JSON lines on stderr.
struct RelayObservability {
  std::shared_ptr<observability::Metrics> metrics;
  std::shared_ptr<observability::Logger> logger;
};

class RelayInstance {
 public:
  // Every dependency must outlive the instance. The engine is not started.
  RelayInstance(RelayDependencies dependencies, RelayOptions options,
                RelayObservability observability = {});

  RelayCore& core() { return core_; }
  DeliveryEngine& engine() { return engine_; }
  OutboundQueue& queue() { return queue_; }
  PinStore& pins() { return pins_; }
  RelayStats& stats() { return stats_; }
  QueueProcessor& processor() { return processor_; }
  IdleConnections& idle_connections() { return idle_; }
  const RelayOptions& options() const { return options_; }
  observability::Metrics& metrics() { return *metrics_registry_; }
  const observability::Logger& logger() const { return *logger_; }

 private:
  const RelayOptions options_;
  const std::shared_ptr<observability::Metrics> metrics_registry_;
  const std::shared_ptr<observability::Logger> logger_;
  RelayMetrics metrics_;
  OutboundQueue queue_;
  PinStore pins_;
  KeyCache key_cache_;
  RelayStats stats_;
  IdleConnections idle_;
  PeerConnector connector_;
  MailDelivery delivery_;
  QueueProcessor processor_;
  KeyFetcher key_fetcher_;
  DeliveryEngine engine_;
  RelayCore core_;
};

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_RELAY_INSTANCE_H_
