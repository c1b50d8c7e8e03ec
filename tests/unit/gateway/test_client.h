// A blocking TCP client for gateway tests: plain POSIX sockets with receive
// timeouts, so a test never hangs on a missing reply. Parses replies by their
// documented layouts, independently of lib/wire's reply parser.
#ifndef CMTP_TESTS_UNIT_GATEWAY_TEST_CLIENT_H_
#define CMTP_TESTS_UNIT_GATEWAY_TEST_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace cmtp::gateway::testing {

struct ParsedStatus {
  std::string word;       // "SUCCESS" / "FAILURE" (or what arrived instead)
  std::string signature;  // 64 bytes
  std::string detail;     // without the NUL
  bool complete = false;  // every byte arrived
  bool success() const { return complete && word == "SUCCESS"; }
};

class TestClient {
 public:
  // Connects to host:port; `host` "127.0.0.1" or "::1".
  explicit TestClient(int port, const std::string& host = "127.0.0.1");
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  void Send(std::string_view bytes);
  // Exactly n bytes, or what arrived before a timeout / close (the test
  // then fails on the comparison).
  std::string Read(size_t n);
  // Bytes up to and including the first NUL.
  std::string ReadThroughNul();
  // The banner, checked by the caller.
  std::string ReadBanner() { return ReadThroughNul(); }
  ParsedStatus ReadStatus();
  uint32_t ReadU32();
  uint64_t ReadU64();
  // True when the server closes the connection within `timeout`; bytes that
  // arrive meanwhile are discarded.
  bool WaitForClose(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Closes our side at once.
  void Close();

 private:
  int fd_ = -1;
};

}  // namespace cmtp::gateway::testing

#endif  // CMTP_TESTS_UNIT_GATEWAY_TEST_CLIENT_H_
