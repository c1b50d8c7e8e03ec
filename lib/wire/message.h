// A parsed MAIL message. The message bytes (everything after `MAIL\0`) are
// kept once, exactly as received; the fields that are opaque to servers (log,
// body, attachments) are views into them, so a body is copied from the socket
// into `bytes` once and from there straight into the storage request.
#ifndef CMTP_LIB_WIRE_MESSAGE_H_
#define CMTP_LIB_WIRE_MESSAGE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cmtp::wire {

inline constexpr uint32_t kCryptoTypeEd25519 = 1;

struct MailHeader {
  uint32_t crypto_type = kCryptoTypeEd25519;
  uint32_t attachment_count = 0;
  uint64_t log_len = 0;
  uint64_t body_len = 0;
  std::string dst_account;
  std::string dst_domain;
  std::string src_account;
  std::string src_domain;
};

struct Span {
  size_t offset = 0;
  size_t length = 0;
};

class MailMessage {
 public:
  MailHeader header;
  // The message bytes as received (after `MAIL\0`, through the last attachment).
  std::string bytes;
  Span log_span;
  Span body_span;
  std::vector<Span> attachment_spans;  // the attachment bytes, without their u64 length

  std::string_view log() const { return View(log_span); }
  std::string_view body() const { return View(body_span); }
  std::string_view attachment(size_t i) const { return View(attachment_spans.at(i)); }

 private:
  std::string_view View(Span s) const {
    return std::string_view(bytes).substr(s.offset, s.length);
  }
};

}  // namespace cmtp::wire

#endif  // CMTP_LIB_WIRE_MESSAGE_H_
