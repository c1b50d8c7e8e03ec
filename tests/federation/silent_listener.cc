#include "tests/federation/silent_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cmtp::federation {

SilentListener::SilentListener(const std::string& address, int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  const int reuse = 1;
  setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse));
  sockaddr_in bound{};
  bound.sin_family = AF_INET;
  bound.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t length = sizeof(bound);
  if (inet_pton(AF_INET, address.c_str(), &bound.sin_addr) != 1 ||
      bind(fd_, reinterpret_cast<sockaddr*>(&bound), length) != 0 ||
      listen(fd_, 64) != 0 ||
      getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
    return;
  }
  port_ = ntohs(bound.sin_port);
}

SilentListener::~SilentListener() {
  for (int connection : accepted_) close(connection);
  if (fd_ >= 0) close(fd_);
}

int SilentListener::connections() {
  if (port_ == 0) return 0;
  for (;;) {
    pollfd ready{fd_, POLLIN, 0};
    if (poll(&ready, 1, 0) <= 0) break;
    const int connection = accept(fd_, nullptr, nullptr);
    if (connection < 0) break;
    accepted_.push_back(connection);
  }
  return static_cast<int>(accepted_.size());
}

}  // namespace cmtp::federation
