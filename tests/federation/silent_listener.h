// A TCP listener that lets the kernel accept connections and never reads or
// writes a byte: a CMTP server that never answers.
#ifndef CMTP_TESTS_FEDERATION_SILENT_LISTENER_H_
#define CMTP_TESTS_FEDERATION_SILENT_LISTENER_H_

#include <string>
#include <vector>

namespace cmtp::federation {

class SilentListener {
 public:
  // Listens on `address` (an IPv4 loopback address) and `port` (0: any).
  explicit SilentListener(const std::string& address = "127.0.0.1", int port = 0);
  ~SilentListener();
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;

  // 0 when the address could not be bound.
  int port() const { return port_; }
  // How many connections have arrived so far (they are taken off the
  // backlog to be counted, and kept open and silent).
  int connections();

 private:
  int fd_ = -1;
  int port_ = 0;
  std::vector<int> accepted_;
};

}  // namespace cmtp::federation

#endif  // CMTP_TESTS_FEDERATION_SILENT_LISTENER_H_
