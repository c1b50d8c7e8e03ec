// Bytes on a plain TCP socket to a gateway, with no client library in
// between: what a stranger with `nc` could send.
#ifndef CMTP_TESTS_FEDERATION_RAW_CMTP_H_
#define CMTP_TESTS_FEDERATION_RAW_CMTP_H_

#include <string>
#include <string_view>

namespace cmtp::federation {

struct RawStatus {
  std::string word;       // "SUCCESS" / "FAILURE", or what came instead
  std::string signature;  // 64 bytes
  std::string detail;
};

class RawCmtpConnection {
 public:
  // Connects to 127.0.0.1:port and reads the banner.
  explicit RawCmtpConnection(int port);
  ~RawCmtpConnection();
  RawCmtpConnection(const RawCmtpConnection&) = delete;
  RawCmtpConnection& operator=(const RawCmtpConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  const std::string& banner() const { return banner_; }
  void Send(std::string_view bytes);
  // A status reply: the 7-byte word, the signature, the detail str.
  RawStatus ReadStatus();

 private:
  std::string Read(size_t n);
  std::string ReadThroughNul();

  int fd_ = -1;
  std::string banner_;
};

// MAIL\0 and the message bytes, laid out by hand from docs/protocol.md.
std::string RawMailRequest(std::string_view dst_account, std::string_view dst_domain,
                           std::string_view src_account, std::string_view src_domain,
                           std::string_view body);

}  // namespace cmtp::federation

#endif  // CMTP_TESTS_FEDERATION_RAW_CMTP_H_
