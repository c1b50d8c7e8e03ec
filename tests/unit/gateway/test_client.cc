#include "tests/unit/gateway/test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "gtest/gtest.h"

namespace cmtp::gateway::testing {
namespace {

constexpr int kReplyTimeoutMs = 5000;

// Waits until `fd` is readable; false on timeout.
bool WaitReadable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  int ready;
  do {
    ready = poll(&p, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  return ready > 0;
}

}  // namespace

TestClient::TestClient(int port, const std::string& host) {
  sockaddr_storage address{};
  socklen_t length = 0;
  int family = AF_INET;
  if (host.find(':') != std::string::npos) {
    family = AF_INET6;
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr);
    length = sizeof(sockaddr_in6);
  } else {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &v4->sin_addr);
    length = sizeof(sockaddr_in);
  }
  fd_ = socket(family, SOCK_STREAM, 0);
  if (fd_ < 0) {
    ADD_FAILURE() << "socket: " << std::strerror(errno);
    return;
  }
  if (connect(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0) {
    ADD_FAILURE() << "connect to " << host << ":" << port << ": " << std::strerror(errno);
    close(fd_);
    fd_ = -1;
  }
}

TestClient::~TestClient() { Close(); }

void TestClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void TestClient::Send(std::string_view bytes) {
  while (!bytes.empty() && fd_ >= 0) {
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ADD_FAILURE() << "send: " << std::strerror(errno);
      return;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

std::string TestClient::Read(size_t n) {
  std::string out;
  while (out.size() < n && fd_ >= 0) {
    if (!WaitReadable(fd_, kReplyTimeoutMs)) {
      ADD_FAILURE() << "timed out after " << out.size() << " of " << n << " bytes";
      break;
    }
    char chunk[65536];
    ssize_t got = recv(fd_, chunk, std::min(sizeof(chunk), n - out.size()), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      ADD_FAILURE() << "connection closed after " << out.size() << " of " << n
                    << " bytes";
      break;
    }
    out.append(chunk, static_cast<size_t>(got));
  }
  return out;
}

std::string TestClient::ReadThroughNul() {
  std::string out;
  while (fd_ >= 0) {
    std::string byte = Read(1);
    if (byte.empty()) break;
    out += byte;
    if (byte[0] == '\0') break;
  }
  return out;
}

ParsedStatus TestClient::ReadStatus() {
  ParsedStatus status;
  status.word = Read(7);
  if (status.word.size() != 7) return status;
  status.signature = Read(64);
  if (status.signature.size() != 64) return status;
  std::string detail = ReadThroughNul();
  if (detail.empty() || detail.back() != '\0') return status;
  detail.pop_back();
  status.detail = detail;
  status.complete = true;
  return status;
}

uint32_t TestClient::ReadU32() {
  std::string bytes = Read(4);
  uint32_t v = 0;
  for (unsigned char c : bytes) v = (v << 8) | c;
  return v;
}

uint64_t TestClient::ReadU64() {
  std::string bytes = Read(8);
  uint64_t v = 0;
  for (unsigned char c : bytes) v = (v << 8) | c;
  return v;
}

bool TestClient::WaitForClose(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (fd_ >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !WaitReadable(fd_, static_cast<int>(left.count()))) {
      return false;
    }
    char chunk[4096];
    ssize_t got = recv(fd_, chunk, sizeof(chunk), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return true;
  }
  return false;
}

}  // namespace cmtp::gateway::testing
