#include "lib/crypto/inner_message.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lib/common/errors.h"
#include "lib/crypto/sodium.h"
#include "lib/wire/serializer.h"

namespace cmtp::crypto {
namespace {

using std::string_view_literals::operator""sv;

constexpr std::string_view kMagic = "CMI1";
// Domain separation: an inner-message signature can never pass for any other
// protocol signature made with the same identity key.
constexpr std::string_view kSignaturePrefix = "CMTP-INNER-1\0"sv;

// Our own encoder never meets a 4 GiB header field (the message cap is far
// lower); if one appears, a caller skipped its limits.
uint32_t CheckedLength32(size_t length) {
  if (length > UINT32_MAX) {
    std::fprintf(stderr, "fatal: inner message field of %zu bytes exceeds u32\n", length);
    std::abort();
  }
  return static_cast<uint32_t>(length);
}

void AppendField32(std::string& out, std::string_view field) {
  wire::AppendU32(out, CheckedLength32(field.size()));
  out.append(field);
}

// Reads the structured layout front to back. Every length is checked against
// what is left of the input before anything is allocated, so a hostile
// length costs nothing.
class InnerReader {
 public:
  explicit InnerReader(std::string_view input) : rest_(input) {}

  size_t remaining() const { return rest_.size(); }

  bool Skip(std::string_view expected) {
    if (rest_.substr(0, expected.size()) != expected) return false;
    rest_.remove_prefix(expected.size());
    return true;
  }
  bool U32(uint32_t& value) {
    if (rest_.size() < 4) return false;
    value = wire::ReadU32(rest_.data());
    rest_.remove_prefix(4);
    return true;
  }
  bool U64(uint64_t& value) {
    if (rest_.size() < 8) return false;
    value = wire::ReadU64(rest_.data());
    rest_.remove_prefix(8);
    return true;
  }
  bool Bytes(uint64_t length, std::string& value) {
    if (length > rest_.size()) return false;
    value.assign(rest_.data(), static_cast<size_t>(length));
    rest_.remove_prefix(static_cast<size_t>(length));
    return true;
  }
  bool Field32(std::string& value) {
    uint32_t length = 0;
    return U32(length) && Bytes(length, value);
  }
  bool Field64(std::string& value) {
    uint64_t length = 0;
    return U64(length) && Bytes(length, value);
  }

 private:
  std::string_view rest_;
};

}  // namespace

std::string EncodeSignedInner(const InnerMessage& message,
                              std::string_view sender_secret_key) {
  std::string encoded(kMagic);
  wire::AppendU64(encoded, static_cast<uint64_t>(message.timestamp_unix_ms));
  AppendField32(encoded, message.from);
  AppendField32(encoded, message.to);
  AppendField32(encoded, message.subject);
  AppendField32(encoded, message.reply_to);
  wire::AppendU32(encoded, CheckedLength32(message.cc.size()));
  for (const std::string& address : message.cc) AppendField32(encoded, address);
  AppendField32(encoded, message.content_type);
  wire::AppendU64(encoded, message.text.size());
  encoded.append(message.text);

  std::string signed_bytes(kSignaturePrefix);
  signed_bytes.append(encoded);
  encoded.append(Sign(sender_secret_key, signed_bytes));
  return encoded;
}

absl::StatusOr<DecodedInner> DecodeInner(std::string_view plaintext) {
  DecodedInner decoded;
  InnerReader reader(plaintext);
  if (!reader.Skip(kMagic)) {
    decoded.structured = false;
    decoded.message.text = std::string(plaintext);
    return decoded;
  }

  InnerMessage& message = decoded.message;
  uint64_t timestamp = 0;
  uint32_t cc_count = 0;
  bool complete = reader.U64(timestamp) && reader.Field32(message.from) &&
                  reader.Field32(message.to) && reader.Field32(message.subject) &&
                  reader.Field32(message.reply_to) && reader.U32(cc_count);
  // Each CC address takes at least its 4-byte length: a count the input
  // cannot hold is refused before the vector grows.
  if (complete && cc_count > reader.remaining() / 4) complete = false;
  for (uint32_t i = 0; complete && i < cc_count; ++i) {
    std::string address;
    complete = reader.Field32(address);
    if (complete) message.cc.push_back(std::move(address));
  }
  complete = complete && reader.Field32(message.content_type) &&
             reader.Field64(message.text) && reader.remaining() == kSignatureSize;
  if (!complete) {
    return error::InvalidInput(
        "inner message (CMI1) is truncated or has inconsistent lengths");
  }
  message.timestamp_unix_ms = static_cast<int64_t>(timestamp);

  const size_t signed_end = plaintext.size() - kSignatureSize;
  decoded.structured = true;
  decoded.signed_bytes = std::string(kSignaturePrefix);
  decoded.signed_bytes.append(plaintext.substr(0, signed_end));
  decoded.signature = std::string(plaintext.substr(signed_end));
  return decoded;
}

bool VerifyInner(const DecodedInner& decoded, std::string_view sender_public_key) {
  if (!decoded.structured) return false;
  return Verify(sender_public_key, decoded.signed_bytes, decoded.signature);
}

}  // namespace cmtp::crypto
