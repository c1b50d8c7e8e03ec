// A real gateway Listener on a loopback port, served by its own io thread,
// with fake backends behind it. Tests talk to it over real TCP sockets.
#ifndef CMTP_TESTS_UNIT_GATEWAY_GATEWAY_HARNESS_H_
#define CMTP_TESTS_UNIT_GATEWAY_GATEWAY_HARNESS_H_

#include <asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lib/crypto/sodium.h"
#include "lib/observability/logger.h"
#include "lib/observability/metrics.h"
#include "services/gateway/gateway_context.h"
#include "services/gateway/listener.h"
#include "services/gateway/recipient_cache.h"
#include "tests/unit/gateway/fake_backends.h"

namespace cmtp::gateway::testing {

struct HarnessOptions {
  std::string domain = "hawaii.edu";
  ListenerOptions listener = DefaultListener();
  int threads = 1;
  // Without a relay the gateway refuses foreign mail and keys.
  bool with_relay = false;
  // The clock of the log entries the gateway appends.
  int64_t now_unix_ms = 1700000000000;

  static ListenerOptions DefaultListener() {
    ListenerOptions options;
    options.listen_address = "::";
    options.port = 0;
    return options;
  }
  // The defaults, with a relay behind the gateway.
  static HarnessOptions WithRelay() {
    HarnessOptions options;
    options.with_relay = true;
    return options;
  }
};

class GatewayHarness {
 public:
  explicit GatewayHarness(HarnessOptions options = {});
  ~GatewayHarness();

  int port() const { return listener_->port(); }
  const std::string& domain() const { return options_.domain; }
  // The reference server's key (shared/vectors/reference), so replies can
  // be compared with the captured bytes.
  const crypto::KeyPair& server_key() const { return server_key_; }
  FakeKeyDirectory& keys() { return *keys_; }
  FakeMailboxes& mailboxes() { return mailboxes_; }
  FakeRelay& relay() { return relay_; }
  Listener& listener() { return *listener_; }
  size_t sessions() const { return listener_->session_count(); }
  // The gateway's metrics, in the text format /metrics serves.
  std::string RenderMetrics() const { return metrics_->Render(); }
  // Every log line the gateway wrote so far (JSON, debug level and up).
  std::vector<std::string> LogLines();

  // Graceful shutdown as on SIGTERM; waits for the io threads to finish.
  void Shutdown(std::chrono::milliseconds grace);

 private:
  HarnessOptions options_;
  std::shared_ptr<observability::Metrics> metrics_;
  std::mutex log_mutex_;
  std::vector<std::string> log_lines_;
  crypto::KeyPair server_key_;
  std::unique_ptr<FakeKeyDirectory> keys_;
  FakeMailboxes mailboxes_;
  FakeRelay relay_;
  RecipientCache recipients_;
  std::unique_ptr<GatewayContext> gateway_;
  asio::io_context io_;
  std::unique_ptr<Listener> listener_;
  std::vector<std::thread> threads_;
};

}  // namespace cmtp::gateway::testing

#endif  // CMTP_TESTS_UNIT_GATEWAY_GATEWAY_HARNESS_H_
