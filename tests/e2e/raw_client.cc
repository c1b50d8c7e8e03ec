#include "tests/e2e/raw_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "lib/wire/reply_parser.h"

namespace cmtp::testing {
namespace {

// Reads whatever is available within the deadline; 0 on EOF, -1 on timeout
// or error.
ssize_t ReadSome(int fd, char* buf, size_t n,
                 std::chrono::steady_clock::time_point deadline) {
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return -1;
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    ssize_t got = recv(fd, buf, n, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == ECONNRESET) return 0;
    return got;
  }
}

}  // namespace

RawClient::~RawClient() { Close(); }

bool RawClient::Connect(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return false;
  auto reply = Read(wire::ReplyKind::kText);
  if (!reply) return false;
  banner_ = reply->text;
  return true;
}

bool RawClient::Send(std::string_view bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t w = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    sent += static_cast<size_t>(w);
  }
  return true;
}

std::optional<wire::Reply> RawClient::Read(wire::ReplyKind kind,
                                           std::chrono::milliseconds timeout) {
  wire::ReplyParser parser(kind, wire::Limits{});
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (!pending_.empty()) {
      auto r = parser.Feed(pending_);
      pending_.erase(0, r.consumed);
      if (r.state == wire::ReplyParser::State::kReplyReady) return parser.TakeReply();
      if (r.state == wire::ReplyParser::State::kError) return std::nullopt;
    }
    char buf[65536];
    ssize_t got = ReadSome(fd_, buf, sizeof(buf), deadline);
    if (got <= 0) return std::nullopt;
    pending_.append(buf, static_cast<size_t>(got));
  }
}

std::string RawClient::ReadBytes(size_t n, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (pending_.size() < n) {
    char buf[65536];
    ssize_t got = ReadSome(fd_, buf, sizeof(buf), deadline);
    if (got <= 0) break;
    pending_.append(buf, static_cast<size_t>(got));
  }
  std::string out = pending_.substr(0, n);
  pending_.erase(0, out.size());
  return out;
}

bool RawClient::ClosedByPeer(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    char buf[65536];
    ssize_t got = ReadSome(fd_, buf, sizeof(buf), deadline);
    if (got == 0) return true;
    if (got < 0) return false;  // timed out while still open
  }
}

void RawClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

}  // namespace cmtp::testing
