// cmtp-gateway: the CMTP/1 listener in front of the keyserver, the
// mailstore and (optionally) the relay. Flags, start-up and shutdown only; the work is in
// the core library (listener, session, command handlers) and grpc_backends; /metrics
// and the health service (admin_server.h) when their flags ask for them.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lib/common/config.h"
#include "lib/common/mutex_deadlock_detection.h"
#include "lib/crypto/sodium.h"
#include "lib/observability/logger.h"
#include "lib/observability/metrics.h"
#include "lib/rpc/server.h"
#include "lib/rpc/tls.h"
#include "services/gateway/admin_server.h"
#include "services/gateway/caching_key_directory.h"
#include "services/gateway/gateway_context.h"
#include "services/gateway/gateway_options.h"
#include "services/gateway/grpc_backends.h"
#include "services/gateway/key_block_cache.h"
#include "services/gateway/listener.h"
#include "services/gateway/recipient_cache.h"
#include "services/gateway/server_identity.h"

namespace {

using cmtp::gateway::GatewayOptions;

// How long the gateway waits for the keyserver to create the key file.
constexpr auto kServerKeyPatience = std::chrono::seconds(10);
// Positive recipient lookups are trusted this long (see RecipientCache).
constexpr auto kRecipientTtl = std::chrono::seconds(5);
constexpr size_t kRecipientCacheEntries = 100000;
// The event loop proves it turns this often (liveness, admin_server.h).
constexpr auto kBeatInterval = std::chrono::milliseconds(500);

// Tells the admin server that the event loop turns, until `stopping`.
asio::awaitable<void> BeatWhileRunning(cmtp::gateway::AdminServer& admin,
                                       asio::steady_timer& timer, const bool& stopping) {
  while (!stopping) {
    admin.Beat();
    timer.expires_after(kBeatInterval);
    std::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

int Fail(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "cmtp-gateway: %s: %s\n", what.c_str(),
               std::string(status.message()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // gRPC locks absl::Mutex many times per call; Debian's Abseil checks lock order.
  cmtp::TurnOffMutexDeadlockDetection();
  cmtp::Config config("cmtp-gateway",
                      "CMTP/1 gateway: speaks the wire protocol to clients and peers, "
                      "stores nothing itself.");
  cmtp::gateway::DeclareGatewayFlags(config);
  cmtp::rpc::AddTlsChannelFlags(config);
  config.ParseOrExit(argc, argv);
  absl::StatusOr<cmtp::rpc::TlsChannelOptions> tls =
      cmtp::rpc::TlsChannelOptionsFromConfig(config);
  if (!tls.ok()) {
    std::fprintf(stderr, "cmtp-gateway: %s\n",
                 std::string(tls.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<GatewayOptions> options =
      cmtp::gateway::GatewayOptionsFromConfig(config);
  if (!options.ok()) {
    std::fprintf(stderr, "cmtp-gateway: %s\n(see --help)\n",
                 std::string(options.status().message()).c_str());
    return 2;
  }

  cmtp::crypto::EnsureSodium();
  absl::StatusOr<cmtp::crypto::KeyPair> server_key =
      cmtp::gateway::LoadServerKeyWaiting(options->server_key_file, kServerKeyPatience);
  if (!server_key.ok()) {
    return Fail("cannot load the server key (the keyserver creates it)",
                server_key.status());
  }
  const std::string server_public_key = server_key->public_key;

  const int grpc_limit = options->GrpcMessageLimit();
  // The readiness probes ask the same channels the requests use.
  std::vector<cmtp::gateway::AdminBackend> backends = {
      {"keyserver", cmtp::rpc::MakeChannel(options->keyserver, *tls, grpc_limit)},
      {"mailstore", cmtp::rpc::MakeChannel(options->mailstore, *tls, grpc_limit)}};
  cmtp::gateway::GrpcKeyDirectory keys(backends[0].channel, options->rpc_deadline);
  cmtp::gateway::GrpcMailboxes mailboxes(backends[1].channel, options->rpc_deadline,
                                         options->put_batching);
  std::unique_ptr<cmtp::gateway::GrpcRelay> relay;
  if (!options->relay.empty()) {
    backends.push_back(
        {"relay", cmtp::rpc::MakeChannel(options->relay, *tls, grpc_limit)});
    relay = std::make_unique<cmtp::gateway::GrpcRelay>(
        backends.back().channel, options->rpc_deadline, options->enqueue_batching);
  }

  const std::shared_ptr<cmtp::observability::Logger> logger =
      options->observability.logger;
  auto metrics = std::make_shared<cmtp::observability::Metrics>();
  if (!options->observability.metrics_listen_address.empty()) {
    absl::StatusOr<int> metrics_port =
        metrics->Serve(options->observability.metrics_listen_address);
    if (!metrics_port.ok()) return Fail("--metrics-listen", metrics_port.status());
    if (absl::Status written =
            cmtp::rpc::WritePortFile(options->metrics_port_file, *metrics_port);
        !written.ok()) {
      return Fail("--metrics-port-file", written);
    }
    logger->Info("serving metrics", {{"port", *metrics_port}, {"path", "/metrics"}});
  }
  std::unique_ptr<cmtp::gateway::AdminServer> admin;
  if (!options->admin_listen.empty()) {
    cmtp::gateway::AdminOptions admin_options;
    admin_options.listen_address = options->admin_listen;
    absl::StatusOr<std::unique_ptr<cmtp::gateway::AdminServer>> started =
        cmtp::gateway::AdminServer::Start(admin_options, backends, *logger);
    if (!started.ok()) return Fail("--admin-listen", started.status());
    admin = std::move(*started);
    if (absl::Status written =
            cmtp::rpc::WritePortFile(options->admin_port_file, admin->port());
        !written.ok()) {
      return Fail("--admin-port-file", written);
    }
    logger->Info(
        "serving health",
        {{"port", admin->port()}, {"liveness_service", cmtp::gateway::kLivenessService}});
  }
  cmtp::gateway::RecipientCache recipients(kRecipientTtl, kRecipientCacheEntries,
                                           &std::chrono::steady_clock::now);
  cmtp::gateway::LogStamping stamping;
  stamping.max_log = options->listener.session.limits.max_log;
  cmtp::gateway::KeyBlockCache key_cache(options->key_cache,
                                         &std::chrono::steady_clock::now);
  cmtp::gateway::CachingKeyDirectory cached_keys(keys, key_cache);
  cmtp::gateway::GatewayContext gateway(options->domain, std::move(*server_key),
                                        cached_keys, mailboxes, recipients, relay.get(),
                                        std::move(stamping), {metrics, logger});

  asio::io_context io(options->threads);
  cmtp::gateway::Listener listener(io, options->listener, gateway);
  if (absl::Status bound = listener.Bind(); !bound.ok()) return Fail("listen", bound);
  if (absl::Status written =
          cmtp::rpc::WritePortFile(options->port_file, listener.port());
      !written.ok()) {
    return Fail("--port-file", written);
  }
  logger->Info("listening",
               {{"port", listener.port()},
                {"domain", options->domain},
                {"threads", options->threads},
                {"relay", options->relay.empty() ? "none" : options->relay}});

  // Signals and the start-up check share one strand: either may end the run.
  auto control = asio::make_strand(io);
  std::atomic<int> exit_code{0};
  asio::signal_set signals(control, SIGINT, SIGTERM);
  // The liveness beat runs on the same strand: it stops when the run ends.
  asio::steady_timer beat_timer(control);
  bool stopping = false;  // on `control`
  auto stop_beating = [&] {
    stopping = true;
    beat_timer.cancel();
  };
  if (admin != nullptr) {
    asio::co_spawn(control, BeatWhileRunning(*admin, beat_timer, stopping),
                   asio::detached);
  }
  signals.async_wait([&](std::error_code ec, int signal_number) {
    if (ec) return;
    logger->Info("shutting down",
                 {{"signal", signal_number},
                  {"grace_seconds",
                   std::chrono::duration<double>(options->shutdown_grace).count()}});
    if (admin != nullptr) admin->Drain();
    // Alive while draining: the beat stops only once the sessions are gone.
    listener.Shutdown(options->shutdown_grace,
                      [&] { asio::post(control, stop_beating); });
  });
  asio::co_spawn(
      control, cmtp::gateway::CheckKeyserverAgrees(keys, server_public_key),
      [&](std::exception_ptr failure, absl::Status agrees) {
        if (failure != nullptr) std::rethrow_exception(failure);
        if (agrees.ok()) return;
        if (absl::IsInternal(agrees)) {
          logger->Error("server keys differ", {{"error", agrees.message()}});
          exit_code = 1;
          std::error_code ignored;
          signals.cancel(ignored);
          stop_beating();
          listener.Shutdown(std::chrono::milliseconds(0));
          return;
        }
        // The keyserver may simply not be up yet; requests will say so.
        logger->Warning("could not compare server keys", {{"error", agrees.message()}});
      });
  listener.Start();

  std::vector<std::thread> workers;
  for (int i = 1; i < options->threads; ++i) workers.emplace_back([&io] { io.run(); });
  io.run();
  for (std::thread& worker : workers) worker.join();
  if (admin != nullptr) admin->Stop();
  logger->Info("stopped");
  return exit_code.load();
}
