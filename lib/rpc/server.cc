#include "lib/rpc/server.h"

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
  builder.AddListeningPort(options.listen_address, grpc::InsecureServerCredentials(),
                           &bound_port);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    return error::Unavailable(absl::StrCat(options.service_name, ": cannot listen on ",
                                           options.listen_address));
  }

  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  auto set_serving = [&](bool serving) { health->SetServingStatus(serving); };
  std::atomic<bool> stopping{false};
  auto probe_once = [&] {
    bool ok = !options.readiness_probe || options.readiness_probe().ok();
    set_serving(ok);
  };
  probe_once();
  std::thread prober([&] {
    while (!stopping.load()) {
      for (int i = 0; i < 20 && !stopping.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (!stopping.load()) probe_once();
    }
  });

  logger->Info("listening", {{"port", bound_port}, {"address", options.listen_address}});
  if (options.on_listening) options.on_listening(bound_port);

  int received = 0;
  sigwait(&signals, &received);
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
  prober.join();
  if (metrics_stopper.joinable()) metrics_stopper.join();
  logger->Info("stopped");
  return absl::OkStatus();
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           int max_message_bytes) {
  grpc::ChannelArguments args;
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
      target, grpc::InsecureChannelCredentials(), args, std::move(interceptors));
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
