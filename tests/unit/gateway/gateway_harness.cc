#include "tests/unit/gateway/gateway_harness.h"

#include <cstdio>
#include <cstdlib>

#include "lib/crypto/sodium.h"
#include "tests/support/ports.h"

namespace cmtp::gateway::testing {
namespace {

crypto::KeyPair ReferenceServerKey() {
  crypto::EnsureSodium();
  absl::StatusOr<crypto::KeyPair> key = crypto::KeyPairFromSecretKey(
      cmtp::testing::ReadFileOrDie(cmtp::testing::VectorPath("server_private.key")));
  if (!key.ok()) {
    std::fprintf(stderr, "reference server key unusable\n");
    std::abort();
  }
  return std::move(*key);
}

}  // namespace

GatewayHarness::GatewayHarness(HarnessOptions options)
    : options_(std::move(options)),
      metrics_(std::make_shared<observability::Metrics>()),
      server_key_(ReferenceServerKey()),
      keys_(std::make_unique<FakeKeyDirectory>(std::string(server_key_.secret_key.view()),
                                               options_.domain)),
      recipients_(std::chrono::seconds(5), 1000, &std::chrono::steady_clock::now),
      io_(options_.threads) {
  absl::StatusOr<crypto::KeyPair> gateway_key =
      crypto::KeyPairFromSecretKey(server_key_.secret_key.view());
  if (!gateway_key.ok()) std::abort();
  LogStamping stamping;
  stamping.max_log = options_.listener.session.limits.max_log;
  stamping.now_unix_ms = [when = options_.now_unix_ms] { return when; };
  gateway_ = std::make_unique<GatewayContext>(
      options_.domain, std::move(*gateway_key), *keys_, mailboxes_, recipients_,
      options_.with_relay ? &relay_ : nullptr, std::move(stamping),
      GatewayObservability{
          metrics_, std::make_shared<const observability::Logger>(
                        "gateway", observability::LogFormat::kJson,
                        observability::LogLevel::kDebug, [this](std::string_view line) {
                          std::lock_guard<std::mutex> lock(log_mutex_);
                          log_lines_.emplace_back(line);
                        })});
  listener_ = std::make_unique<Listener>(io_, options_.listener, *gateway_);
  if (absl::Status bound = listener_->Bind(); !bound.ok()) {
    std::fprintf(stderr, "harness: %s\n", std::string(bound.message()).c_str());
    std::abort();
  }
  listener_->Start();
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { io_.run(); });
}

GatewayHarness::~GatewayHarness() { Shutdown(std::chrono::milliseconds(0)); }

std::vector<std::string> GatewayHarness::LogLines() {
  std::lock_guard<std::mutex> lock(log_mutex_);
  return log_lines_;
}

void GatewayHarness::Shutdown(std::chrono::milliseconds grace) {
  if (threads_.empty()) return;
  listener_->Shutdown(grace);
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

}  // namespace cmtp::gateway::testing
