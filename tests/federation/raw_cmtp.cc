#include "tests/federation/raw_cmtp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

namespace cmtp::federation {
namespace {

constexpr int kReplyTimeoutSeconds = 10;

std::string BigEndian(uint64_t value, int bytes) {
  std::string out(static_cast<size_t>(bytes), '\0');
  for (int i = bytes - 1; i >= 0; --i, value >>= 8) {
    out[static_cast<size_t>(i)] = static_cast<char>(value & 0xff);
  }
  return out;
}

std::string Str(std::string_view text) {
  return std::string(text) + std::string(1, '\0');
}

}  // namespace

RawCmtpConnection::RawCmtpConnection(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  timeval timeout{kReplyTimeoutSeconds, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd_);
    fd_ = -1;
    return;
  }
  banner_ = ReadThroughNul();
}

RawCmtpConnection::~RawCmtpConnection() {
  if (fd_ >= 0) close(fd_);
}

void RawCmtpConnection::Send(std::string_view bytes) {
  while (fd_ >= 0 && !bytes.empty()) {
    const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

std::string RawCmtpConnection::Read(size_t n) {
  std::string out;
  char buffer[4096];
  while (fd_ >= 0 && out.size() < n) {
    const ssize_t got = recv(fd_, buffer, std::min(sizeof(buffer), n - out.size()), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    out.append(buffer, static_cast<size_t>(got));
  }
  return out;
}

std::string RawCmtpConnection::ReadThroughNul() {
  std::string out;
  while (fd_ >= 0) {
    std::string byte = Read(1);
    if (byte.empty()) break;
    out += byte;
    if (byte[0] == '\0') break;
  }
  return out;
}

RawStatus RawCmtpConnection::ReadStatus() {
  RawStatus status;
  status.word = Read(7);
  status.signature = Read(64);
  status.detail = ReadThroughNul();
  if (!status.detail.empty() && status.detail.back() == '\0') status.detail.pop_back();
  return status;
}

std::string RawMailRequest(std::string_view dst_account, std::string_view dst_domain,
                           std::string_view src_account, std::string_view src_domain,
                           std::string_view body) {
  return std::string("MAIL\0", 5) + BigEndian(1, 4) + BigEndian(0, 4) + BigEndian(0, 8) +
         BigEndian(body.size(), 8) + Str(dst_account) + Str(dst_domain) +
         Str(src_account) + Str(src_domain) + std::string(body);
}

}  // namespace cmtp::federation
