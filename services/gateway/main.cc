// cmtp-gateway: the CMTP/1 listener in front of the keyserver, the
// mailstore and (optionally) the relay. Flags, start-up and shutdown only; the work is in
// the core library (listener, session, command handlers) and grpc_backends.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/strand.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lib/common/config.h"
#include "lib/crypto/sodium.h"
#include "lib/rpc/server.h"
#include "services/gateway/gateway_context.h"
#include "services/gateway/gateway_options.h"
#include "services/gateway/grpc_backends.h"
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

int Fail(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "cmtp-gateway: %s: %s\n", what.c_str(),
               std::string(status.message()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  cmtp::Config config("cmtp-gateway",
                      "CMTP/1 gateway: speaks the wire protocol to clients and peers, "
                      "stores nothing itself.");
  cmtp::gateway::DeclareGatewayFlags(config);
  config.ParseOrExit(argc, argv);
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
  cmtp::gateway::GrpcKeyDirectory keys(
      cmtp::rpc::MakeChannel(options->keyserver, grpc_limit), options->rpc_deadline);
  cmtp::gateway::GrpcMailboxes mailboxes(
      cmtp::rpc::MakeChannel(options->mailstore, grpc_limit), options->rpc_deadline);
  std::unique_ptr<cmtp::gateway::GrpcRelay> relay;
  if (!options->relay.empty()) {
    relay = std::make_unique<cmtp::gateway::GrpcRelay>(
        cmtp::rpc::MakeChannel(options->relay, grpc_limit), options->rpc_deadline);
  }
  cmtp::gateway::RecipientCache recipients(kRecipientTtl, kRecipientCacheEntries,
                                           &std::chrono::steady_clock::now);
  cmtp::gateway::LogStamping stamping;
  stamping.max_log = options->listener.session.limits.max_log;
  cmtp::gateway::GatewayContext gateway(options->domain, std::move(*server_key), keys,
                                        mailboxes, recipients, relay.get(),
                                        std::move(stamping));

  asio::io_context io(options->threads);
  cmtp::gateway::Listener listener(io, options->listener, gateway);
  if (absl::Status bound = listener.Bind(); !bound.ok()) return Fail("listen", bound);
  if (absl::Status written =
          cmtp::rpc::WritePortFile(options->port_file, listener.port());
      !written.ok()) {
    return Fail("--port-file", written);
  }
  std::fprintf(stderr, "cmtp-gateway: serving %s on port %d (%d threads, relay %s)\n",
               options->domain.c_str(), listener.port(), options->threads,
               options->relay.empty() ? "none" : options->relay.c_str());

  // Signals and the start-up check share one strand: either may end the run.
  auto control = asio::make_strand(io);
  std::atomic<int> exit_code{0};
  asio::signal_set signals(control, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code ec, int signal_number) {
    if (ec) return;
    std::fprintf(stderr, "cmtp-gateway: signal %d, shutting down\n", signal_number);
    listener.Shutdown(options->shutdown_grace);
  });
  asio::co_spawn(
      control, cmtp::gateway::CheckKeyserverAgrees(keys, server_public_key),
      [&](std::exception_ptr failure, absl::Status agrees) {
        if (failure != nullptr) std::rethrow_exception(failure);
        if (agrees.ok()) return;
        if (absl::IsInternal(agrees)) {
          std::fprintf(stderr, "cmtp-gateway: %s\n",
                       std::string(agrees.message()).c_str());
          exit_code = 1;
          std::error_code ignored;
          signals.cancel(ignored);
          listener.Shutdown(std::chrono::milliseconds(0));
          return;
        }
        // The keyserver may simply not be up yet; requests will say so.
        std::fprintf(stderr, "cmtp-gateway: warning: could not compare server keys: %s\n",
                     std::string(agrees.message()).c_str());
      });
  listener.Start();

  std::vector<std::thread> workers;
  for (int i = 1; i < options->threads; ++i) workers.emplace_back([&io] { io.run(); });
  io.run();
  for (std::thread& worker : workers) worker.join();
  std::fprintf(stderr, "cmtp-gateway: stopped\n");
  return exit_code.load();
}
