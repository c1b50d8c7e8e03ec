// cmtp-relay: the outbound queue and delivery to other CMTP domains, foreign
// key fetching and the pins of foreign server keys, served over gRPC
// (cmtp.v1.Relay). Flags, start-up and shutdown only; the work is in the core
// (relay_instance.h) and the adapter (relay_service.h).
//
// Shutdown on SIGTERM/SIGINT: the gRPC server stops taking calls, the
// delivery engine stops claiming, releases what it claimed but had not
// started, and lets deliveries in flight finish for --shutdown-grace-seconds;
// whatever is still in flight after that is covered by its lease.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "lib/common/config.h"
#include "lib/common/large_buffers.h"
#include "lib/common/mutex_deadlock_detection.h"
#include "lib/crypto/server_key.h"
#include "lib/observability/metrics.h"
#include "lib/redis/client.h"
#include "lib/redis/pool_config.h"
#include "lib/rpc/server.h"
#include "lib/rpc/service_flags.h"
#include "lib/rpc/tls.h"
#include "services/relay/discovery.h"
#include "services/relay/grpc_local_services.h"
#include "services/relay/relay_instance.h"
#include "services/relay/relay_options.h"
#include "services/relay/relay_service.h"

namespace {

constexpr char kProgram[] = "cmtp-relay";
// Room for the request's other fields around the largest message.
constexpr int kGrpcMessageLimit = 64 << 20;

[[noreturn]] void ExitWith(int code, const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", kProgram, message.c_str());
  std::exit(code);
}

int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t SteadyClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The delivery threads must never take SIGTERM themselves (its default
// action would kill the process mid-delivery): RunServer waits for it.
void BlockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  // gRPC locks absl::Mutex many times per call; Debian's Abseil checks lock order.
  cmtp::TurnOffMutexDeadlockDetection();
  // Message bodies of up to tens of MiB arrive on many threads at once.
  cmtp::KeepLargeBuffersInTheHeap();
  cmtp::Config config(kProgram,
                      "CMTP relay: the outbound queue and delivery to other domains, "
                      "foreign keys and pins, over gRPC.");
  cmtp::relay::DeclareRelayFlags(config);
  cmtp::rpc::AddServiceFlags(config);
  cmtp::rpc::AddTlsChannelFlags(config);
  config.ParseOrExit(argc, argv);
  absl::StatusOr<cmtp::rpc::ServerOptions> server_options =
      cmtp::rpc::ServerOptionsFromConfig(config, "relay");
  if (!server_options.ok()) ExitWith(2, std::string(server_options.status().message()));
  auto metrics = std::make_shared<cmtp::observability::Metrics>();
  absl::StatusOr<cmtp::rpc::TlsChannelOptions> tls_channel =
      cmtp::rpc::TlsChannelOptionsFromConfig(config);
  if (!tls_channel.ok()) ExitWith(2, std::string(tls_channel.status().message()));
  absl::StatusOr<cmtp::relay::RelayProcessOptions> options =
      cmtp::relay::RelayProcessOptionsFromConfig(config);
  if (!options.ok())
    ExitWith(2, std::string(options.status().message()) + "\n(see --help)");

  absl::StatusOr<cmtp::redis::PoolOptions> redis_options =
      cmtp::redis::PoolOptionsFromConfig(config);
  if (!redis_options.ok()) ExitWith(2, std::string(redis_options.status().message()));
  redis_options->size = options->redis_connections;
  // An Enqueue may spend the whole WAIT timeout inside Redis.
  redis_options->command_timeout =
      std::max(redis_options->command_timeout,
               std::chrono::milliseconds(options->relay.wait_timeout_ms + 5000));
  absl::StatusOr<std::unique_ptr<cmtp::redis::ConnectionPool>> redis =
      cmtp::redis::ConnectionPool::Create(*redis_options);
  if (!redis.ok()) ExitWith(2, "redis: " + std::string(redis.status().message()));

  absl::StatusOr<cmtp::crypto::KeyPair> server_key =
      cmtp::crypto::LoadOrCreateServerKey(options->server_key_file);
  if (!server_key.ok()) ExitWith(2, std::string(server_key.status().message()));

  cmtp::relay::DiscoveryOptions discovery_options;
  discovery_options.dns_server = options->dns_server;
  discovery_options.static_peers = options->static_peers;
  discovery_options.now_ms = SteadyClockMs;
  absl::StatusOr<std::unique_ptr<cmtp::relay::Discovery>> discovery =
      cmtp::relay::MakeCaresDiscovery(discovery_options);
  if (!discovery.ok()) ExitWith(2, "DNS: " + std::string(discovery.status().message()));

  cmtp::relay::GrpcLocalAccounts accounts(
      cmtp::rpc::MakeChannel(options->keyserver, *tls_channel, kGrpcMessageLimit),
      options->rpc_timeout);
  cmtp::relay::GrpcLocalMailboxes mailboxes(
      cmtp::rpc::MakeChannel(options->mailstore, *tls_channel, kGrpcMessageLimit),
      options->rpc_timeout);

  BlockShutdownSignals();
  cmtp::relay::RelayInstance relay(
      cmtp::relay::RelayDependencies{**redis, **discovery, accounts, mailboxes,
                                     *server_key, WallClockMs, SteadyClockMs},
      options->relay, cmtp::relay::RelayObservability{metrics, server_options->logger});
  cmtp::relay::RelayService service(relay.core());
  relay.engine().Start();
  std::fprintf(stderr,
               "%s: domain %s, %s, %d workers (at most %d per destination), %zu static "
               "peers, keyserver %s, mailstore %s\n",
               kProgram, options->relay.domain.c_str(),
               cmtp::redis::DescribeTarget(*redis_options).c_str(),
               options->relay.workers, options->relay.max_per_destination,
               options->static_peers.size(), options->keyserver.c_str(),
               options->mailstore.c_str());

  server_options->max_message_bytes = kGrpcMessageLimit;
  // As the mailstore: one idle gRPC thread per Redis connection, so a burst
  // of Enqueues from several gateway sessions does not make and end a thread
  // per call (docs/performance.md, "thread churn").
  server_options->sync_max_pollers = options->redis_connections;
  server_options->sync_min_pollers = std::max(1, options->redis_connections / 8);
  server_options->metrics = metrics;
  cmtp::redis::ConnectionPool& pool = **redis;
  server_options->readiness_probe = [&pool]() -> absl::Status {
    return pool.Command({"PING"}).status();
  };

  absl::Status run = cmtp::rpc::RunServer(*server_options, {&service});
  const bool finished =
      relay.engine().Stop(std::chrono::seconds(options->shutdown_grace_seconds));
  if (!finished) {
    // The threads still delivering use everything above: leave without
    // destroying it. Their messages come due again when their leases end.
    std::fprintf(stderr, "%s: deliveries still in flight left to their leases\n",
                 kProgram);
    std::fflush(stderr);
    std::_Exit(run.ok() ? 0 : 1);
  }
  if (!run.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProgram, std::string(run.message()).c_str());
    return 1;
  }
  std::fprintf(stderr, "%s: stopped\n", kProgram);
  return 0;
}
