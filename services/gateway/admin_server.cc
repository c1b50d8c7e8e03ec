#include "services/gateway/admin_server.h"

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "services/gateway/grpc_health_check.h"

namespace cmtp::gateway {
namespace {

// How long in-flight health calls may take once the server stops.
constexpr auto kStopGrace = std::chrono::milliseconds(500);

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Start(
    AdminOptions options, std::vector<AdminBackend> backends,
    const observability::Logger& logger) {
  std::unique_ptr<AdminServer> admin(
      new AdminServer(std::move(options), std::move(backends), logger));
  // The default service answers grpc.health.v1 from the statuses set below;
  // the switch is process-wide and must be on before the builder is made.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(admin->options_.listen_address,
                           grpc::InsecureServerCredentials(), &admin->port_);
  admin->server_ = builder.BuildAndStart();
  if (admin->server_ == nullptr || admin->port_ == 0) {
    return error::Unavailable(
        absl::StrCat("cannot serve gRPC health on ", admin->options_.listen_address));
  }
  grpc::HealthCheckServiceInterface* health = admin->server_->GetHealthCheckService();
  health->SetServingStatus("", false);
  health->SetServingStatus(kLivenessService, true);
  admin->Beat();
  admin->prober_ = std::thread([raw = admin.get()] { raw->ProbeLoop(); });
  return admin;
}

AdminServer::AdminServer(AdminOptions options, std::vector<AdminBackend> backends,
                         const observability::Logger& logger)
    : options_(std::move(options)), backends_(std::move(backends)), logger_(logger) {}

AdminServer::~AdminServer() { Stop(); }

void AdminServer::Beat() {
  last_beat_ns_.store(SteadyNowNs(), std::memory_order_relaxed);
}

void AdminServer::Drain() {
  // At once, not at the next probe: load balancers should stop sending now.
  // Under the lock, so a probe finishing meanwhile cannot undo it.
  std::lock_guard<std::mutex> lock(mutex_);
  draining_ = true;
  if (server_ != nullptr) server_->GetHealthCheckService()->SetServingStatus("", false);
}

void AdminServer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (prober_.joinable()) prober_.join();
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + kStopGrace);
    server_->Wait();
  }
}

bool AdminServer::BackendsServing() {
  for (const AdminBackend& backend : backends_) {
    absl::Status serving = CheckServing(backend.channel, "", options_.probe_timeout);
    if (!serving.ok()) {
      std::string failing = absl::StrCat(backend.name, ": ", serving.message());
      if (failing != failing_) {
        logger_.Warning("not ready",
                        {{"backend", backend.name}, {"error", serving.message()}});
      }
      failing_ = std::move(failing);
      return false;
    }
  }
  if (!failing_.empty()) logger_.Info("ready", {{"backends", backends_.size()}});
  failing_.clear();
  return true;
}

void AdminServer::ProbeLoop() {
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  // So the first successful probe is logged as "ready".
  failing_ = "not probed yet";
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    const bool probe = !draining_;
    lock.unlock();
    const bool ready = probe && BackendsServing();
    lock.lock();
    // Drain() may have come while the probe ran: it wins.
    health->SetServingStatus("", ready && !draining_);
    lock.unlock();
    const auto since_beat = std::chrono::nanoseconds(
        SteadyNowNs() - last_beat_ns_.load(std::memory_order_relaxed));
    health->SetServingStatus(kLivenessService, since_beat < options_.liveness_timeout);
    lock.lock();
    wake_.wait_for(lock, options_.probe_interval, [this] { return stopping_; });
  }
}

}  // namespace cmtp::gateway
