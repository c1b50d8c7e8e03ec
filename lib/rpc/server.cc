#include "lib/rpc/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"

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

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(options.listen_address,
                           grpc::InsecureServerCredentials(), &bound_port);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    return error::Unavailable(absl::StrCat(options.service_name,
                                           ": cannot listen on ",
                                           options.listen_address));
  }

  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  auto set_serving = [&](bool serving) {
    health->SetServingStatus(serving);
  };
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

  std::fprintf(stderr, "%s: listening on port %d\n", options.service_name.c_str(),
               bound_port);
  if (options.on_listening) options.on_listening(bound_port);

  int received = 0;
  sigwait(&signals, &received);
  std::fprintf(stderr, "%s: signal %d, shutting down\n",
               options.service_name.c_str(), received);
  stopping.store(true);
  set_serving(false);
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::seconds(options.shutdown_grace_seconds));
  server->Wait();
  prober.join();
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
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
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
