#include "services/relay/relay_instance.h"

#include <utility>

namespace cmtp::relay {
namespace {

QueueOptions QueueOptionsOf(const RelayOptions& options) {
  QueueOptions queue;
  queue.lease_ms = options.lease_ms;
  queue.wait_replicas = options.wait_replicas;
  queue.wait_timeout_ms = options.wait_timeout_ms;
  return queue;
}

EngineOptions EngineOptionsOf(const RelayOptions& options,
                              std::function<void()> periodic) {
  EngineOptions engine;
  engine.periodic = std::move(periodic);
  engine.workers = options.workers;
  engine.max_per_destination = options.max_per_destination;
  engine.poll_interval = std::chrono::milliseconds(options.poll_interval_ms);
  return engine;
}

}  // namespace

RelayInstance::RelayInstance(RelayDependencies dependencies, RelayOptions options,
                             RelayObservability observability)
    : options_(std::move(options)),
      metrics_registry_(observability.metrics
                            ? std::move(observability.metrics)
                            : std::make_shared<observability::Metrics>()),
      logger_(observability.logger ? std::move(observability.logger)
                                   : std::make_shared<observability::Logger>("relay")),
      metrics_(*metrics_registry_),
      queue_(dependencies.redis, QueueOptionsOf(options_), dependencies.wall_now_ms),
      pins_(dependencies.redis, dependencies.wall_now_ms),
      key_cache_(dependencies.redis, options_.key_cache_ms,
                 options_.negative_key_cache_ms),
      stats_(dependencies.redis, &metrics_),
      idle_(static_cast<size_t>(options_.max_per_destination),
            options_.idle_connection_ms, dependencies.steady_now_ms),
      connector_(dependencies.discovery, pins_, stats_, idle_,
                 PeerOptions{options_.connect_timeout, options_.io_timeout,
                             std::chrono::milliseconds(options_.pin_recheck_ms)},
                 dependencies.steady_now_ms),
      delivery_(connector_, options_.reference_peers, dependencies.steady_now_ms),
      processor_(QueueProcessor::Parts{queue_, delivery_, dependencies.accounts,
                                       dependencies.mailboxes, stats_,
                                       dependencies.server_key, *logger_},
                 options_, dependencies.wall_now_ms),
      key_fetcher_(connector_, pins_, key_cache_, stats_),
      engine_(queue_, processor_, idle_,
              EngineOptionsOf(options_,
                              [this] {
                                // Each replica sets the same figure: the
                                // queue is shared.
                                absl::StatusOr<uint64_t> depth = queue_.Depth();
                                if (depth.ok()) metrics_.SetQueueDepth(*depth);
                              })),
      core_(RelayCore::Parts{queue_, processor_, key_fetcher_, pins_, stats_, *logger_},
            options_, engine_) {}

}  // namespace cmtp::relay
