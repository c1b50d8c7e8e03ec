// The inner message a MAIL body seals: headers, text and the sender's
// signature (docs/protocol.md, "Inner message").
#ifndef CMTP_LIB_CRYPTO_INNER_MESSAGE_H_
#define CMTP_LIB_CRYPTO_INNER_MESSAGE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace cmtp::crypto {

struct InnerMessage {
  int64_t timestamp_unix_ms = 0;
  std::string from;  // account@domain
  std::string to;    // account@domain
  std::string subject;
  std::string reply_to;
  std::vector<std::string> cc;
  std::string content_type = "text/plain; charset=utf-8";
  std::string text;
};

// Encodes and signs with the sender's 64-byte secret key.
std::string EncodeSignedInner(const InnerMessage& message,
                              std::string_view sender_secret_key);

struct DecodedInner {
  InnerMessage message;
  // False for a body that is raw text (the reference client): message.text
  // holds it and nothing is signed.
  bool structured = false;
  std::string signed_bytes;  // what the signature covers (structured only)
  std::string signature;     // 64 bytes (structured only)
};

// Never fails on raw text; fails only on a body that claims the structured
// layout (magic "CMI1") but is truncated or inconsistent.
absl::StatusOr<DecodedInner> DecodeInner(std::string_view plaintext);

bool VerifyInner(const DecodedInner& decoded, std::string_view sender_public_key);

}  // namespace cmtp::crypto

#endif  // CMTP_LIB_CRYPTO_INNER_MESSAGE_H_
