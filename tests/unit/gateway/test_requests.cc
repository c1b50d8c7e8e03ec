#include "tests/unit/gateway/test_requests.h"

#include "lib/crypto/sodium.h"

namespace cmtp::gateway::testing {

std::string U32(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 3; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

std::string U64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

std::string Str(std::string_view text) {
  std::string out(text);
  out.push_back('\0');
  return out;
}

std::string TestMail::MessageBytes() const {
  std::string out = U32(crypto_type) + U32(static_cast<uint32_t>(attachments.size())) +
                    U64(log.size()) + U64(body.size()) + Str(dst_account) +
                    Str(dst_domain) + Str(src_account) + Str(src_domain) + log + body;
  for (const std::string& attachment : attachments) {
    out += U64(attachment.size()) + attachment;
  }
  return out;
}

std::string TestMail::ExpectedId() const {
  std::string hashed = U32(crypto_type) + U32(static_cast<uint32_t>(attachments.size())) +
                       U64(body.size()) + Str(dst_account) + Str(dst_domain) +
                       Str(src_account) + Str(src_domain) + body;
  for (const std::string& attachment : attachments) {
    hashed += U64(attachment.size()) + attachment;
  }
  return crypto::ToHex(crypto::Hash(hashed).substr(0, 16));
}

std::string KeyRequest(std::string_view account, std::string_view domain) {
  return Str("KEYREQUEST") + Str(account) + Str(domain);
}

std::string AuthRequest(std::string_view account, std::string_view signature) {
  return Str("AUTH") + Str(account) + std::string(signature);
}

std::string LoginRequest(std::string_view account) { return Str("LOGIN") + Str(account); }

std::string LoginProofRequest(std::string_view account, std::string_view signature) {
  return Str("LOGINPROOF") + Str(account) + std::string(signature);
}

std::string FetchRequest(std::string_view message_id) {
  return Str("FETCH") + Str(message_id);
}

std::string DeleteRequest(std::string_view message_id) {
  return Str("DELETE") + Str(message_id);
}

std::string TestRegistration::Request() const {
  return Str("REGISTER") + Str(account) + Str(domain) + Str(invite_token) + U32(1) +
         public_key + login_public_key + U32(static_cast<uint32_t>(xzibit.size())) +
         xzibit + signature;
}

std::string WithLogEntry(std::string_view message_bytes, std::string_view entry) {
  uint64_t log_len = 0;
  for (int i = 8; i < 16; ++i) {
    log_len = (log_len << 8) | static_cast<unsigned char>(message_bytes[i]);
  }
  size_t log_start = 24;
  for (int str = 0; str < 4; ++str) log_start = message_bytes.find('\0', log_start) + 1;
  const size_t log_end = log_start + log_len;
  return std::string(message_bytes.substr(0, 8)) + U64(log_len + entry.size()) +
         std::string(message_bytes.substr(16, log_end - 16)) + std::string(entry) +
         std::string(message_bytes.substr(log_end));
}

std::string ExpectedLogEntry(std::string_view domain, int64_t unix_ms,
                             std::string_view message_id,
                             std::string_view server_secret_key) {
  const std::string signed_bytes = std::string("CMTP-LOG-1\0accepted\0", 20) +
                                   Str(domain) + U64(static_cast<uint64_t>(unix_ms)) +
                                   std::string(message_id);
  return "CMTP-LOG-1 accepted " + std::string(domain) + " " + std::to_string(unix_ms) +
         " " + crypto::ToHex(crypto::Sign(server_secret_key, signed_bytes)) +
         std::string(1, '\0');
}

std::string ExpectedStatusSignedBytes(bool success, std::string_view request_bytes,
                                      std::string_view detail) {
  return std::string("CMTP-STATUS-1\0", 14) + (success ? "SUCCESS" : "FAILURE") +
         crypto::Hash(request_bytes) + std::string(detail);
}

}  // namespace cmtp::gateway::testing
