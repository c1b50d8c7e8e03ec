#include "services/gateway/listener.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/v6_only.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "services/gateway/session.h"
#include "services/gateway/status_reply.h"

namespace cmtp::gateway {
namespace {

// listen() clamps this to net.core.somaxconn: ask for as much as allowed.
constexpr int kBacklog = 65535;
// Accept failing for lack of descriptors or memory would fail again at once;
// pause instead of spinning.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);
constexpr auto kDrainPoll = std::chrono::milliseconds(20);

std::error_code OpenAndBind(asio::ip::tcp::acceptor& acceptor,
                            const asio::ip::tcp::endpoint& endpoint) {
  std::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return ec;
  if (endpoint.address().is_v6()) {
    // One dual-stack socket serves IPv4 clients as well.
    acceptor.set_option(asio::ip::v6_only(false), ec);
    if (ec) return ec;
  }
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return ec;
  acceptor.bind(endpoint, ec);
  if (ec) return ec;
  acceptor.listen(kBacklog, ec);
  return ec;
}

}  // namespace

Listener::Listener(asio::io_context& io, ListenerOptions options,
                   const GatewayContext& gateway)
    : io_(io),
      options_(std::move(options)),
      gateway_(gateway),
      strand_(asio::make_strand(io)),
      acceptor_(strand_),
      registry_(std::make_shared<SessionRegistry>()),
      busy_reply_(StatusReplyBytes(gateway, false, {}, "server busy")) {}

absl::Status Listener::Bind() {
  std::error_code ec;
  asio::ip::address address = asio::ip::make_address(options_.listen_address, ec);
  if (ec) {
    return error::InvalidInput(absl::StrCat("--listen-address \"",
                                            options_.listen_address,
                                            "\" is not an IP address: ", ec.message()));
  }
  asio::ip::tcp::endpoint endpoint(address, options_.port);
  ec = OpenAndBind(acceptor_, endpoint);
  if (ec && address.is_v6() && address.is_unspecified() &&
      (ec == asio::error::address_family_not_supported ||
       ec == std::errc::address_not_available)) {
    gateway_.logger().Warning("IPv6 unavailable, listening on IPv4 only",
                              {{"error", ec.message()}});
    std::error_code ignored;
    acceptor_.close(ignored);
    endpoint = asio::ip::tcp::endpoint(asio::ip::address_v4::any(), options_.port);
    ec = OpenAndBind(acceptor_, endpoint);
  }
  if (ec) {
    std::error_code ignored;
    acceptor_.close(ignored);
    return error::Unavailable(absl::StrCat("cannot listen on ",
                                           endpoint.address().to_string(), " port ",
                                           options_.port, ": ", ec.message()));
  }
  port_ = acceptor_.local_endpoint().port();
  return absl::OkStatus();
}

void Listener::Start() { asio::co_spawn(strand_, AcceptLoop(), asio::detached); }

asio::awaitable<void> Listener::AcceptLoop() {
  asio::steady_timer backoff(strand_);
  while (acceptor_.is_open()) {
    // Each connection gets its own strand: sessions run in parallel on the
    // io threads, each one single-threaded.
    std::error_code ec;
    asio::ip::tcp::socket socket = co_await acceptor_.async_accept(
        asio::make_strand(io_), asio::redirect_error(asio::use_awaitable, ec));
    if (shutting_down_ || ec == asio::error::operation_aborted) break;
    if (ec) {
      // The peer gave up before we accepted it: nothing to do.
      if (ec == asio::error::connection_aborted) continue;
      gateway_.logger().Error("accept failed", {{"error", ec.message()}});
      backoff.expires_after(kAcceptBackoff);
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (registry_->size() >= options_.max_connections) {
      gateway_.metrics().ConnectionRefused();
      RejectBusy(socket);
      continue;
    }
    gateway_.metrics().ConnectionAccepted();
    std::error_code ignored;
    // Replies are whole messages written at once: send them without delay.
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    auto session =
        std::make_shared<Session>(std::move(socket), gateway_, options_.session);
    session->Start(registry_);
  }
}

void Listener::RejectBusy(asio::ip::tcp::socket& socket) {
  std::error_code ignored;
  // A fresh socket's send buffer takes these few bytes at once; if it does
  // not, the peer is not reading and loses nothing it was waiting for.
  socket.non_blocking(true, ignored);
  socket.write_some(asio::buffer(busy_reply_), ignored);
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

void Listener::Shutdown(std::chrono::milliseconds grace,
                        std::function<void()> on_drained) {
  asio::post(strand_, [this, grace, on_drained = std::move(on_drained)]() mutable {
    if (shutting_down_) return;
    shutting_down_ = true;
    std::error_code ignored;
    acceptor_.close(ignored);
    asio::co_spawn(strand_, StopSessions(grace, std::move(on_drained)), asio::detached);
  });
}

asio::awaitable<void> Listener::StopSessions(std::chrono::milliseconds grace,
                                             std::function<void()> on_drained) {
  for (const std::shared_ptr<Session>& session : registry_->Snapshot()) session->Drain();
  const auto deadline = std::chrono::steady_clock::now() + grace;
  asio::steady_timer poll(strand_);
  while (registry_->size() > 0 && std::chrono::steady_clock::now() < deadline) {
    poll.expires_after(kDrainPoll);
    std::error_code ignored;
    co_await poll.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  size_t remaining = registry_->size();
  if (remaining > 0) {
    gateway_.logger().Warning(
        "grace period over, closing sessions",
        {{"grace_seconds", std::chrono::duration<double>(grace).count()},
         {"sessions", remaining}});
    for (const std::shared_ptr<Session>& session : registry_->Snapshot()) {
      session->Abort();
    }
  }
  if (on_drained) on_drained();
}

}  // namespace cmtp::gateway
