#include "tests/unit/client/fake_cmtp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "lib/wire/limits.h"
#include "lib/wire/request_parser.h"

namespace cmtp::testing {
namespace {

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
  return true;
}

int Listen(const std::string& host, uint16_t& port) {
  const bool v6 = host.find(':') != std::string::npos;
  const int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (v6) {
    auto* address = reinterpret_cast<sockaddr_in6*>(&storage);
    address->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, host.c_str(), &address->sin6_addr) != 1) return close(fd), -1;
    length = sizeof(sockaddr_in6);
  } else {
    auto* address = reinterpret_cast<sockaddr_in*>(&storage);
    address->sin_family = AF_INET;
    if (inet_pton(AF_INET, host.c_str(), &address->sin_addr) != 1) return close(fd), -1;
    length = sizeof(sockaddr_in);
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
      listen(fd, 8) != 0) {
    close(fd);
    return -1;
  }
  getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
  port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                  : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  return fd;
}

}  // namespace

FakeCmtpServer::FakeCmtpServer(Handler handler, std::string banner, std::string host)
    : handler_(std::move(handler)), banner_(std::move(banner)), host_(std::move(host)) {
  listen_fd_ = Listen(host_, port_);
  if (listen_fd_ >= 0) thread_ = std::thread([this] { Serve(); });
}

FakeCmtpServer::~FakeCmtpServer() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

void FakeCmtpServer::Serve() {
  while (!stopping_) {
    pollfd entry{listen_fd_, POLLIN, 0};
    if (poll(&entry, 1, 20) <= 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ServeConnection(fd);
    close(fd);
  }
}

void FakeCmtpServer::ServeConnection(int fd) {
  if (!banner_.empty() && !WriteAll(fd, banner_)) return;
  wire::RequestParser parser(limits_);
  std::string pending;
  while (!stopping_) {
    pollfd entry{fd, POLLIN, 0};
    if (poll(&entry, 1, 20) <= 0) continue;
    char chunk[65536];
    const ssize_t got = recv(fd, chunk, sizeof(chunk), 0);
    if (got <= 0) return;
    pending.append(chunk, static_cast<size_t>(got));
    while (!pending.empty()) {
      const wire::RequestParser::Result result = parser.Feed(pending);
      pending.erase(0, result.consumed);
      if (result.state == wire::RequestParser::State::kError) {
        if (on_error_) WriteAll(fd, on_error_(parser.error()));
        return;
      }
      if (result.state == wire::RequestParser::State::kNeedMore) break;
      ++commands_seen_;
      std::optional<std::string> reply = handler_(parser.TakeCommand());
      if (!reply.has_value() || !WriteAll(fd, *reply)) return;
    }
  }
}

}  // namespace cmtp::testing
