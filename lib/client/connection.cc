#include "lib/client/connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/wire/reply_parser.h"

namespace cmtp::client {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr std::chrono::milliseconds kEarlyReplyWait{1000};

std::string ErrnoText(int err) { return std::strerror(err); }

// Closes the descriptor unless released: keeps every early return leak-free.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

int TimeoutMillis(std::chrono::milliseconds timeout) {
  return timeout.count() < 0 ? 0 : static_cast<int>(timeout.count());
}

// Waits for `events` on fd; restarts after signals. Returns false on timeout.
absl::StatusOr<bool> WaitFor(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd entry{fd, events, 0};
  for (;;) {
    const int ready = poll(&entry, 1, TimeoutMillis(timeout));
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) {
      return error::Unavailable(absl::StrCat("poll failed: ", ErrnoText(errno)));
    }
  }
}

// One non-blocking connect attempt bounded by the timeout; the descriptor
// stays non-blocking because every later wait goes through poll().
absl::StatusOr<int> ConnectOne(const addrinfo& address,
                               std::chrono::milliseconds timeout) {
  FdGuard fd(socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    address.ai_protocol));
  if (fd.get() < 0) return error::Unavailable(ErrnoText(errno));
  if (connect(fd.get(), address.ai_addr, address.ai_addrlen) != 0) {
    if (errno != EINPROGRESS) return error::Unavailable(ErrnoText(errno));
    absl::StatusOr<bool> writable = WaitFor(fd.get(), POLLOUT, timeout);
    if (!writable.ok()) return writable.status();
    if (!*writable) {
      return error::Unavailable(
          absl::StrCat("connect timed out after ", timeout.count(), " ms"));
    }
    int socket_error = 0;
    socklen_t length = sizeof(socket_error);
    if (getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &socket_error, &length) != 0) {
      return error::Unavailable(ErrnoText(errno));
    }
    if (socket_error != 0) return error::Unavailable(ErrnoText(socket_error));
  }
  return fd.release();
}

absl::StatusOr<int> ConnectAny(const Endpoint& endpoint,
                               std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(endpoint.port);
  const int rc = getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    return error::Unavailable(
        absl::StrCat("cannot resolve ", endpoint.host, ": ", gai_strerror(rc)));
  }
  std::string reasons;
  absl::StatusOr<int> connected = error::Unavailable("no address");
  for (const addrinfo* address = found; address != nullptr; address = address->ai_next) {
    connected = ConnectOne(*address, timeout);
    if (connected.ok()) break;
    if (!reasons.empty()) reasons += "; ";
    reasons += std::string(connected.status().message());
  }
  freeaddrinfo(found);
  if (!connected.ok()) {
    return error::Unavailable(
        absl::StrCat("cannot connect to ", endpoint.ToString(), ": ", reasons));
  }
  return connected;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    const Endpoint& endpoint, const ConnectionOptions& options) {
  absl::StatusOr<int> fd = ConnectAny(endpoint, options.connect_timeout);
  if (!fd.ok()) return fd.status();
  std::unique_ptr<Connection> connection(new Connection(*fd, endpoint, options));
  absl::StatusOr<std::string> banner = connection->ReceiveBanner();
  if (!banner.ok()) return banner.status();
  connection->banner_ = std::move(*banner);
  return connection;
}

absl::StatusOr<std::string> Connection::ReceiveBanner() {
  // A server at its connection cap greets with a FAILURE status instead of
  // the banner, then closes: read enough to tell the two apart.
  constexpr std::string_view kFailureWord = "FAILURE";
  while (pending_.size() < kFailureWord.size() &&
         pending_.find('\0') == std::string::npos) {
    if (absl::Status read = ReadMore("the banner"); !read.ok()) {
      return error::Unavailable(absl::StrCat("no CMTP banner from ", endpoint_.ToString(),
                                             ": ", read.message()));
    }
  }
  if (std::string_view(pending_).substr(0, kFailureWord.size()) == kFailureWord) {
    absl::StatusOr<wire::Reply> refusal = Receive(wire::ReplyKind::kStatus);
    // Unverifiable (no server key yet), so only ever reported, never trusted.
    return error::Unavailable(absl::StrCat(
        endpoint_.ToString(), " refused the connection: ",
        refusal.ok() ? refusal->status.detail : std::string(refusal.status().message())));
  }
  absl::StatusOr<wire::Reply> banner = Receive(wire::ReplyKind::kText);
  if (!banner.ok()) {
    return error::Unavailable(absl::StrCat("no CMTP banner from ", endpoint_.ToString(),
                                           ": ", banner.status().message()));
  }
  return std::move(banner->text);
}

Connection::Connection(int fd, Endpoint endpoint, const ConnectionOptions& options)
    : fd_(fd), endpoint_(std::move(endpoint)), options_(options) {}

Connection::~Connection() { close(fd_); }

absl::StatusOr<wire::Reply> Connection::Exchange(std::string_view request,
                                                 wire::ReplyKind kind) {
  absl::Status sent = Send(request);
  if (sent.ok()) return Receive(kind);
  // A server may refuse a request it can judge early (an oversize MAIL
  // header) and close while we are still sending: its reply says why, which
  // is worth more than "connection reset". Look for it briefly.
  const std::chrono::milliseconds saved_timeout = options_.io_timeout;
  options_.io_timeout = std::min(saved_timeout, kEarlyReplyWait);
  absl::StatusOr<wire::Reply> early = Receive(kind);
  options_.io_timeout = saved_timeout;
  if (early.ok()) return early;
  return sent;
}

absl::Status Connection::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      bytes.remove_prefix(static_cast<size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      absl::StatusOr<bool> writable = WaitFor(fd_, POLLOUT, options_.io_timeout);
      if (!writable.ok()) return writable.status();
      if (!*writable) {
        return error::Unavailable(absl::StrCat("timed out after ",
                                               options_.io_timeout.count(),
                                               " ms sending to ", endpoint_.ToString()));
      }
      continue;
    }
    return error::Unavailable(absl::StrCat("lost the connection to ",
                                           endpoint_.ToString(), ": ", ErrnoText(errno)));
  }
  return absl::OkStatus();
}

absl::Status Connection::ReadMore(std::string_view waiting_for) {
  for (;;) {
    absl::StatusOr<bool> readable = WaitFor(fd_, POLLIN, options_.io_timeout);
    if (!readable.ok()) return readable.status();
    if (!*readable) {
      return error::Unavailable(absl::StrCat(
          "timed out after ", options_.io_timeout.count(), " ms waiting for ",
          ToAbsl(waiting_for), " from ", endpoint_.ToString()));
    }
    char chunk[kReadChunk];
    const ssize_t got = recv(fd_, chunk, sizeof(chunk), 0);
    if (got > 0) {
      pending_.append(chunk, static_cast<size_t>(got));
      return absl::OkStatus();
    }
    if (got == 0) {
      return error::Unavailable(absl::StrCat(
          endpoint_.ToString(), " closed the connection while we waited for ",
          ToAbsl(waiting_for)));
    }
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
    return error::Unavailable(absl::StrCat("lost the connection to ",
                                           endpoint_.ToString(), ": ", ErrnoText(errno)));
  }
}

absl::StatusOr<wire::Reply> Connection::Receive(wire::ReplyKind kind) {
  wire::ReplyParser parser(kind, options_.limits);
  for (;;) {
    if (!pending_.empty()) {
      const wire::ReplyParser::Result result = parser.Feed(pending_);
      pending_.erase(0, result.consumed);
      if (result.state == wire::ReplyParser::State::kReplyReady) {
        return parser.TakeReply();
      }
      if (result.state == wire::ReplyParser::State::kError) {
        // A reply we cannot parse leaves the stream unsynchronised: the
        // session is over. The server broke the protocol, so it is reported
        // like any other failure of the far end.
        return error::Unavailable(absl::StrCat("malformed reply from ",
                                               endpoint_.ToString(), ": ",
                                               parser.error().message()));
      }
      // Partly consumed input may complete a parse step on its own.
      if (result.consumed > 0 && !pending_.empty()) continue;
    }
    if (absl::Status read = ReadMore("a reply"); !read.ok()) return read;
  }
}

}  // namespace cmtp::client
