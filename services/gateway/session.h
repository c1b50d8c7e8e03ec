// One CMTP connection: a coroutine that sends the banner, reads in chunks,
// feeds the request parser and answers each complete command in turn, and a
// watchdog coroutine that enforces the idle and session timeouts. Both run on
// the socket's strand, so a session is single-threaded even when the
// io_context has several threads. No thread and no blocking call per
// connection.
#ifndef CMTP_SERVICES_GATEWAY_SESSION_H_
#define CMTP_SERVICES_GATEWAY_SESSION_H_

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

#include "lib/wire/command.h"
#include "lib/wire/request_parser.h"
#include "services/gateway/gateway_context.h"
#include "services/gateway/session_options.h"
#include "services/gateway/session_registry.h"
#include "services/gateway/session_state.h"

namespace cmtp::gateway {

class Session : public std::enable_shared_from_this<Session> {
 public:
  // Reads are at most this large; a buffer this size exists only while the
  // peer is sending, never for an idle connection.
  static constexpr size_t kReadChunk = 64 * 1024;

  // `socket`'s executor should be a strand when the io_context has several
  // threads. `gateway` must outlive the session.
  Session(asio::ip::tcp::socket socket, const GatewayContext& gateway,
          const SessionOptions& options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Registers with `registry` (until destruction) and starts serving.
  void Start(std::shared_ptr<SessionRegistry> registry);

  // Thread-safe. Graceful end: an idle session closes now, one in the middle
  // of a command closes once that command is answered.
  void Drain();
  // Thread-safe. Closes now, whatever the session is doing.
  void Abort();

 private:
  using TimePoint = std::chrono::steady_clock::time_point;

  // `self` keeps the session alive for as long as each coroutine runs.
  asio::awaitable<void> Run(std::shared_ptr<Session> self);
  asio::awaitable<void> Watchdog(std::shared_ptr<Session> self);
  // One read and everything it completes. False once the session is over.
  asio::awaitable<bool> ReadAndServe();
  asio::awaitable<bool> Serve(std::string_view input);
  asio::awaitable<bool> Execute(wire::Command command);
  asio::awaitable<bool> Send(std::string_view bytes);
  // Half-closes and discards input until the peer closes or `linger` ends.
  asio::awaitable<void> LingeringClose();
  void Close();
  // Why the session ends, for its last log line; the first reason given wins.
  void NoteEnd(const char* reason);
  TimePoint NextWatchdogCheck(TimePoint now) const;

  asio::ip::tcp::socket socket_;
  asio::steady_timer watchdog_timer_;
  const GatewayContext& gateway_;
  const SessionOptions options_;  // a copy: the parser keeps a reference to limits
  wire::RequestParser parser_;
  SessionState state_;
  std::unique_ptr<char[]> read_buffer_;  // only while data is flowing

  const TimePoint started_;
  TimePoint session_deadline_;
  TimePoint idle_deadline_;
  bool closed_ = false;
  bool draining_ = false;
  bool busy_ = false;             // a command is being executed or answered
  bool partial_command_ = false;  // bytes of an unfinished command were read
  const char* end_reason_ = nullptr;
  uint64_t commands_ = 0;
  uint64_t received_bytes_ = 0;
  uint64_t sent_bytes_ = 0;

  std::shared_ptr<SessionRegistry> registry_;
  uint64_t registry_id_ = 0;
};

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_SESSION_H_
