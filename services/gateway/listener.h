// The CMTP listening socket: accepts connections, enforces the connection
// cap, and starts a Session on its own strand for each one. Owns the graceful
// shutdown: stop accepting, let sessions finish their current command, then
// cut the rest off.
#ifndef CMTP_SERVICES_GATEWAY_LISTENER_H_
#define CMTP_SERVICES_GATEWAY_LISTENER_H_

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/strand.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "services/gateway/gateway_context.h"
#include "services/gateway/session_options.h"
#include "services/gateway/session_registry.h"

namespace cmtp::gateway {

struct ListenerOptions {
  // "::" takes IPv6 and IPv4 (falling back to 0.0.0.0 without IPv6).
  std::string listen_address = "::";
  uint16_t port = 9001;  // 0: any free port, see Listener::port()
  size_t max_connections = 100000;
  SessionOptions session;
};

class Listener {
 public:
  // `gateway` must outlive the listener and every session it starts.
  Listener(asio::io_context& io, ListenerOptions options, const GatewayContext& gateway);
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Opens, binds and listens; the error names the address.
  absl::Status Bind();
  // The bound port (after Bind).
  uint16_t port() const { return port_; }
  // Starts accepting (after Bind).
  void Start();
  // Thread-safe. Stops accepting, drains the sessions and aborts those still
  // running after `grace`. The io_context runs out of work once all is done
  // (and whatever else runs on it has stopped: `on_drained`, called on the
  // listener's strand once the sessions are gone or aborted, is the moment
  // to stop it).
  void Shutdown(std::chrono::milliseconds grace, std::function<void()> on_drained = {});

  size_t session_count() const { return registry_->size(); }

 private:
  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> StopSessions(std::chrono::milliseconds grace,
                                     std::function<void()> on_drained);
  // Over the cap: the peer learns why, and no session is made.
  void RejectBusy(asio::ip::tcp::socket& socket);

  asio::io_context& io_;
  const ListenerOptions options_;
  const GatewayContext& gateway_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<SessionRegistry> registry_;
  const std::string busy_reply_;
  uint16_t port_ = 0;
  bool shutting_down_ = false;  // on strand_
};

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_LISTENER_H_
