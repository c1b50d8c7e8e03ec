#include "services/gateway/session.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cstdio>
#include <cstdlib>
#include <system_error>
#include <utility>

#include "lib/common/strings.h"
#include "lib/observability/request_id.h"
#include "lib/wire/serializer.h"
#include "services/gateway/command_handlers.h"
#include "services/gateway/status_reply.h"

namespace cmtp::gateway {
namespace {

// Network errors are values here, never exceptions.
auto ErrorInto(std::error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}

std::string PeerAddress(const asio::ip::tcp::socket& socket) {
  std::error_code ec;
  asio::ip::tcp::endpoint endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  asio::ip::address address = endpoint.address();
  // An IPv4 client on the dual-stack socket shows up as ::ffff:a.b.c.d; rate
  // limits and logs should see the same peer either way.
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

// Made once: an idle session's frame should not carry its own copy.
const std::string& BannerReply() {
  static const std::string* const banner =
      new std::string(wire::TextReply(wire::kBanner));
  return *banner;
}

bool WouldBlock(const std::error_code& ec) {
  return ec == asio::error::would_block || ec == asio::error::try_again;
}

}  // namespace

Session::Session(asio::ip::tcp::socket socket, const GatewayContext& gateway,
                 const SessionOptions& options)
    : socket_(std::move(socket)),
      watchdog_timer_(socket_.get_executor()),
      gateway_(gateway),
      options_(options),
      parser_(options_.limits),
      started_(std::chrono::steady_clock::now()) {
  session_deadline_ = started_ + options_.session_timeout;
  idle_deadline_ = started_ + options_.idle_timeout;
  state_.peer = PeerAddress(socket_);
  state_.session_id = observability::NewRequestId();
  gateway_.metrics().ConnectionOpened();
  gateway_.logger().Info("session start",
                         {{"session", state_.session_id}, {"peer", state_.peer}});
}

Session::~Session() {
  if (registry_ != nullptr) registry_->Remove(registry_id_);
  gateway_.metrics().ConnectionClosed();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  gateway_.logger().Info("session end",
                         {{"session", state_.session_id},
                          {"reason", end_reason_ != nullptr ? end_reason_ : "closed"},
                          {"duration_seconds", seconds},
                          {"commands", commands_},
                          {"received_bytes", received_bytes_},
                          {"sent_bytes", sent_bytes_}});
}

void Session::NoteEnd(const char* reason) {
  if (end_reason_ == nullptr) end_reason_ = reason;
}

void Session::Start(std::shared_ptr<SessionRegistry> registry) {
  registry_ = std::move(registry);
  registry_id_ = registry_->Add(weak_from_this());
  // Reads are attempted without blocking first; the session waits for
  // readiness only when nothing is there (see ReadAndServe).
  std::error_code ec;
  socket_.non_blocking(true, ec);
  if (ec) {
    gateway_.logger().Error("cannot make a socket non-blocking",
                            {{"session", state_.session_id}, {"error", ec.message()}});
    NoteEnd("socket error");
    Close();
    return;
  }
  auto self = shared_from_this();
  asio::co_spawn(socket_.get_executor(), Run(self), asio::detached);
  asio::co_spawn(socket_.get_executor(), Watchdog(self), asio::detached);
}

void Session::Drain() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->draining_ = true;
    if (!self->busy_ && !self->partial_command_) {
      self->NoteEnd("shutdown");
      self->Close();
    }
  });
}

void Session::Abort() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->NoteEnd("shutdown grace over");
    self->Close();
  });
}

asio::awaitable<void> Session::Run([[maybe_unused]] std::shared_ptr<Session> self) {
  // Every co_await below stands alone in its statement: GCC 12 miscompiles
  // some awaits nested in conditions and initialisers.
  bool serving = co_await Send(BannerReply());
  while (serving) serving = co_await ReadAndServe();
  co_await LingeringClose();
  Close();
}

asio::awaitable<bool> Session::ReadAndServe() {
  if (closed_) co_return false;
  if (read_buffer_ == nullptr) {
    // Idle: wait for readiness holding no buffer at all.
    std::error_code ec;
    co_await socket_.async_wait(asio::ip::tcp::socket::wait_read, ErrorInto(ec));
    if (ec || closed_) co_return false;
    read_buffer_ = std::make_unique_for_overwrite<char[]>(kReadChunk);
  }
  std::error_code ec;
  size_t n = socket_.read_some(asio::buffer(read_buffer_.get(), kReadChunk), ec);
  if (WouldBlock(ec)) {
    read_buffer_.reset();
    co_return true;
  }
  // EOF or a reset: the peer is gone. An unfinished command (a MAIL cut
  // short) was never dispatched, so nothing of it is stored.
  if (ec) {
    NoteEnd(ec == asio::error::eof ? "peer closed" : "connection lost");
    co_return false;
  }
  received_bytes_ += n;
  gateway_.metrics().AddReceivedBytes(n);
  bool more = co_await Serve(std::string_view(read_buffer_.get(), n));
  // A full chunk means a bulk transfer is under way: keep the buffer for
  // the next read. Otherwise the peer is about to wait for our reply.
  if (n < kReadChunk) read_buffer_.reset();
  co_return more;
}

asio::awaitable<bool> Session::Serve(std::string_view input) {
  while (!input.empty()) {
    wire::RequestParser::Result result = parser_.Feed(input);
    if (result.consumed > input.size()) {
      std::fprintf(stderr, "gateway: fatal: parser consumed %zu of %zu bytes\n",
                   result.consumed, input.size());
      std::abort();
    }
    const std::string_view consumed = input.substr(0, result.consumed);
    input.remove_prefix(result.consumed);
    switch (result.state) {
      case wire::RequestParser::State::kNeedMore:
        if (!input.empty()) {
          std::fprintf(stderr,
                       "gateway: fatal: parser wants more with %zu bytes unread\n",
                       input.size());
          std::abort();
        }
        // Lone NULs (the reference client sends a stray one) are skipped by
        // the parser and start no command.
        if (consumed.find_first_not_of('\0') != std::string_view::npos) {
          partial_command_ = true;
        }
        // A large MAIL may take longer than the idle timeout to arrive;
        // what counts while its payload flows is that bytes keep coming.
        if (parser_.InMailPayload()) {
          idle_deadline_ = std::chrono::steady_clock::now() + options_.idle_timeout;
        }
        break;
      case wire::RequestParser::State::kCommandReady:
        partial_command_ = false;
        {
          bool keep_serving = co_await Execute(parser_.TakeCommand());
          if (draining_) NoteEnd("shutdown");
          if (!keep_serving || draining_) co_return false;
        }
        break;
      case wire::RequestParser::State::kError: {
        // The stream cannot be re-synchronised: say why, then close.
        NoteEnd("invalid request");
        gateway_.metrics().CountInvalidRequest();
        const std::string refusal =
            StatusReplyBytes(gateway_, false, {}, FromAbsl(parser_.error().message()));
        co_await Send(refusal);
        co_return false;
      }
    }
  }
  co_return true;
}

asio::awaitable<bool> Session::Execute(wire::Command command) {
  busy_ = true;
  ++commands_;
  const TimePoint start = std::chrono::steady_clock::now();
  const wire::CommandKind kind = command.kind;
  CommandReply reply = co_await HandleCommand(gateway_, state_, std::move(command));
  bool sent = co_await Send(reply.bytes);
  busy_ = false;
  const TimePoint end = std::chrono::steady_clock::now();
  idle_deadline_ = end + options_.idle_timeout;
  CommandOutcome outcome =
      reply.failure ? CommandOutcome::kFailure : CommandOutcome::kSuccess;
  if (!sent || reply.close_after) outcome = CommandOutcome::kClose;
  if (reply.close_after) NoteEnd("OBAI");
  gateway_.metrics().CountCommand(kind, outcome, end - start);
  co_return sent && !reply.close_after;
}

asio::awaitable<bool> Session::Send(std::string_view bytes) {
  if (closed_) co_return false;
  std::error_code ec;
  co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()),
                             ErrorInto(ec));
  if (ec) {
    NoteEnd("connection lost");
    co_return false;
  }
  sent_bytes_ += bytes.size();
  gateway_.metrics().AddSentBytes(bytes.size());
  co_return true;
}

asio::awaitable<void> Session::LingeringClose() {
  if (closed_ || draining_) co_return;
  std::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  // Closing with unread input would make the kernel send a reset, which
  // can destroy our last reply before the peer reads it (a refused oversize
  // MAIL whose payload is still arriving). Discard input until the peer
  // closes, for a bounded time enforced by the watchdog.
  session_deadline_ =
      std::min(session_deadline_, std::chrono::steady_clock::now() + options_.linger);
  watchdog_timer_.cancel();  // re-arm at the nearer deadline
  char discard[4096];
  while (!closed_) {
    size_t n = socket_.read_some(asio::buffer(discard), ec);
    if (WouldBlock(ec)) {
      co_await socket_.async_wait(asio::ip::tcp::socket::wait_read, ErrorInto(ec));
      if (ec) co_return;
      continue;
    }
    if (ec || n == 0) co_return;
  }
}

void Session::Close() {
  if (closed_) return;
  closed_ = true;
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  watchdog_timer_.cancel();
  read_buffer_.reset();
}

Session::TimePoint Session::NextWatchdogCheck(TimePoint now) const {
  // While a command runs the idle clock is paused: look again one idle
  // period later (the command's end moves idle_deadline_ past that).
  TimePoint idle_check =
      (busy_ && idle_deadline_ <= now) ? now + options_.idle_timeout : idle_deadline_;
  return std::min(idle_check, session_deadline_);
}

asio::awaitable<void> Session::Watchdog([[maybe_unused]] std::shared_ptr<Session> self) {
  while (!closed_) {
    watchdog_timer_.expires_at(NextWatchdogCheck(std::chrono::steady_clock::now()));
    // Cancelled means "deadlines changed" or "closed"; the loop tells which.
    std::error_code ignored;
    co_await watchdog_timer_.async_wait(ErrorInto(ignored));
    if (closed_) break;
    const TimePoint now = std::chrono::steady_clock::now();
    if (now >= session_deadline_) {
      NoteEnd("session timeout");
      Close();
    } else if (!busy_ && now >= idle_deadline_) {
      NoteEnd("idle timeout");
      Close();
    }
  }
}

}  // namespace cmtp::gateway
