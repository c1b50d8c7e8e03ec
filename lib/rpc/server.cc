#include "lib/rpc/server.h"

#include <grpc/grpc.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/support/client_interceptor.h>
#include <grpcpp/support/server_interceptor.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/observability/grpc_client_interceptor.h"
#include "lib/observability/grpc_server_interceptor.h"

namespace cmtp::rpc {
namespace {

// Blocks SIGTERM/SIGINT in every thread and waits for them on a dedicated
// one: gRPC's own threads then never see the signal, and shutdown runs in
// ordinary code rather than in a handler.
sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

absl::Status RunServer(const ServerOptions& options,
                       const std::vector<grpc::Service*>& services) {
  sigset_t signals = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::shared_ptr<observability::Logger> logger =
      options.logger != nullptr
          ? options.logger
          : std::make_shared<observability::Logger>(options.service_name);
  std::shared_ptr<observability::Metrics> metrics =
      options.metrics != nullptr ? options.metrics
                                 : std::make_shared<observability::Metrics>();
  bool serving_metrics = false;
  if (!options.metrics_listen_address.empty()) {
    absl::StatusOr<int> metrics_port = metrics->Serve(options.metrics_listen_address);
    if (!metrics_port.ok()) {
      return absl::Status(
          metrics_port.status().code(),
          absl::StrCat(options.service_name, ": ", metrics_port.status().message()));
    }
    serving_metrics = true;
    logger->Info("serving metrics", {{"port", *metrics_port}, {"path", "/metrics"}});
    if (options.on_metrics_listening) options.on_metrics_listening(*metrics_port);
    absl::Status written = WritePortFile(options.metrics_port_file, *metrics_port);
    if (!written.ok()) {
      metrics->StopServing();
      return written;
    }
  }
  // Whatever way RunServer returns, /metrics stops with it.
  struct StopMetricsOnReturn {
    observability::Metrics& metrics;
    bool serving;
    ~StopMetricsOnReturn() {
      if (serving) metrics.StopServing();
    }
  } stop_metrics_on_return{*metrics, serving_metrics};

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(
      std::make_unique<observability::GrpcServerInterceptorFactory>(*metrics, *logger));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  int bound_port = 0;
  builder.AddListeningPort(options.listen_address, MakeServerCredentials(options.tls),
                           &bound_port);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  if (options.sync_min_pollers > 0) {
    builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS,
                                options.sync_min_pollers);
  }
  if (options.sync_max_pollers > 0) {
    builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                                options.sync_max_pollers);
  }
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    return error::Unavailable(absl::StrCat(options.service_name, ": cannot listen on ",
                                           options.listen_address));
  }

  // Kubernetes' gRPC probes speak neither TLS nor mutual TLS: with TLS on,
  // they get a plaintext port of their own that serves the health service
  // and nothing else.
  std::unique_ptr<grpc::Server> health_server;
  int health_port = 0;
  if (!options.health_listen_address.empty()) {
    grpc::ServerBuilder health_builder;
    health_builder.AddListeningPort(options.health_listen_address,
                                    grpc::InsecureServerCredentials(), &health_port);
    health_server = health_builder.BuildAndStart();
    if (health_server == nullptr || health_port == 0 ||
        health_server->GetHealthCheckService() == nullptr) {
      server->Shutdown();
      server->Wait();
      return error::Unavailable(absl::StrCat(options.service_name,
                                             ": cannot serve health on ",
                                             options.health_listen_address));
    }
  }
  std::vector<grpc::HealthCheckServiceInterface*> healths = {
      server->GetHealthCheckService()};
  if (health_server != nullptr) healths.push_back(health_server->GetHealthCheckService());
  std::atomic<bool> stopping{false};
  // "" is readiness; "liveness" stays SERVING until shutdown, whatever Redis
  // does, so that a liveness probe never restarts a process over an outage.
  auto set_serving = [&](bool serving) {
    for (grpc::HealthCheckServiceInterface* health : healths) {
      health->SetServingStatus("", serving);
      health->SetServingStatus(kLivenessService, !stopping.load());
    }
  };
  auto probe_once = [&] {
    bool ok = !options.readiness_probe || options.readiness_probe().ok();
    set_serving(ok);
  };
  probe_once();
  if (absl::Status written = WritePortFile(options.port_file, bound_port);
      !written.ok()) {
    server->Shutdown();
    server->Wait();
    if (health_server != nullptr) {
      health_server->Shutdown();
      health_server->Wait();
    }
    return written;
  }
  std::thread prober([&] {
    while (!stopping.load()) {
      for (int i = 0; i < 20 && !stopping.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (!stopping.load()) probe_once();
    }
  });

  logger->Info("listening", {{"port", bound_port},
                             {"address", options.listen_address},
                             {"tls", DescribeTls(options.tls)}});
  if (options.on_listening) options.on_listening(bound_port);
  if (health_server != nullptr) {
    logger->Info("serving health",
                 {{"port", health_port}, {"address", options.health_listen_address}});
    if (options.on_health_listening) options.on_health_listening(health_port);
  }

  int received = 0;
  sigwait(&signals, &received);
  // The process exits soon after the server stops. Were this server's gRPC
  // reference the last, its release (in ~ServerBuilder) would tear gRPC down
  // and join its executor threads, one of which may sit up to 10 s in the TCP
  // backup poller that a large reply's blocked write started: the service then
  // took ~10 s to exit after "stopped". Holding a reference till exit keeps
  // that join off the exit path (exit ends the threads anyway).
  grpc_init();
  logger->Info("shutting down",
               {{"signal", received}, {"grace_seconds", options.shutdown_grace_seconds}});
  stopping.store(true);
  set_serving(false);
  // The HTTP server needs up to two seconds to stop after it has served a
  // scrape (civetweb polls in 2 s quanta): it stops alongside the gRPC drain
  // rather than after it.
  std::thread metrics_stopper;
  if (serving_metrics) {
    metrics_stopper = std::thread([&metrics] { metrics->StopServing(); });
  }
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::seconds(options.shutdown_grace_seconds));
  server->Wait();
  if (health_server != nullptr) {
    health_server->Shutdown(std::chrono::system_clock::now());
    health_server->Wait();
  }
  prober.join();
  if (metrics_stopper.joinable()) metrics_stopper.join();
  logger->Info("stopped");
  return absl::OkStatus();
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           int max_message_bytes) {
  return MakeChannel(target, TlsChannelOptions{}, max_message_bytes);
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           const TlsChannelOptions& tls,
                                           int max_message_bytes) {
  grpc::ChannelArguments args;
  if (!tls.server_name.empty()) args.SetSslTargetNameOverride(tls.server_name);
  args.SetMaxReceiveMessageSize(max_message_bytes);
  args.SetMaxSendMessageSize(max_message_bytes);
  // A restarted service should be reachable again within a second, not after
  // gRPC's default reconnect backoff of up to two minutes: callers fail fast
  // while a peer is down and answer clients with a clear FAILURE meanwhile.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(
      std::make_unique<observability::RequestIdClientInterceptorFactory>());
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      target, MakeChannelCredentials(tls), args, std::move(interceptors));
}

absl::Status WritePortFile(const std::string& path, int port) {
  if (path.empty()) return absl::OkStatus();
  std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out) return error::Internal(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return error::Internal(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

}  // namespace cmtp::rpc
