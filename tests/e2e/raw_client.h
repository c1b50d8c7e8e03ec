// A raw TCP client for speaking CMTP/1 bytes by hand: what a hostile or a
// reference peer would send, not what our own client library would.
#ifndef CMTP_TESTS_E2E_RAW_CLIENT_H_
#define CMTP_TESTS_E2E_RAW_CLIENT_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "lib/wire/reply.h"

namespace cmtp::testing {

class RawClient {
 public:
  RawClient() = default;
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Connects and reads the banner (a str ending "\n\0").
  bool Connect(int port);
  bool Send(std::string_view bytes);  // false once the peer has gone
  // Reads one reply of the given kind with the real codec; nullopt on a
  // timeout, a close or a malformed reply.
  std::optional<wire::Reply> Read(
      wire::ReplyKind kind, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads exactly n bytes, or what came before the peer closed.
  std::string ReadBytes(size_t n,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True when the peer closes (EOF or reset) within the timeout.
  bool ClosedByPeer(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void Close();
  const std::string& banner() const { return banner_; }

 private:
  int fd_ = -1;
  std::string pending_;  // bytes read past the last reply
  std::string banner_;
};

}  // namespace cmtp::testing

#endif  // CMTP_TESTS_E2E_RAW_CLIENT_H_
