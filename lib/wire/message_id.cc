#include "lib/wire/message_id.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "lib/wire/serializer.h"

namespace cmtp::wire {
namespace {

constexpr size_t kHashSize = 32;  // BLAKE2b-256
constexpr size_t kIdBytes = 16;

// Feeds bytes to the hash straight from where they live: no copy of the body.
class MessageHasher {
 public:
  MessageHasher() {
    if (crypto_generichash_init(&state_, nullptr, 0, kHashSize) != 0) {
      std::fprintf(stderr, "wire: crypto_generichash_init failed\n");
      std::abort();
    }
  }
  void Add(std::string_view bytes) {
    crypto_generichash_update(
        &state_, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  }
  void AddU32(uint32_t v) {
    std::string out;
    AppendU32(out, v);
    Add(out);
  }
  void AddU64(uint64_t v) {
    std::string out;
    AppendU64(out, v);
    Add(out);
  }
  void AddStr(std::string_view text) {
    Add(text);
    Add(std::string_view("\0", 1));
  }
  std::string HexPrefix() {
    unsigned char hash[kHashSize];
    crypto_generichash_final(&state_, hash, sizeof(hash));
    char hex[kIdBytes * 2 + 1];
    sodium_bin2hex(hex, sizeof(hex), hash, kIdBytes);
    return std::string(hex, kIdBytes * 2);
  }

 private:
  crypto_generichash_state state_;
};

}  // namespace

std::string MessageId(const MailMessage& message) {
  const MailHeader& header = message.header;
  if (header.attachment_count != message.attachment_spans.size() ||
      header.body_len != message.body_span.length) {
    std::fprintf(stderr,
                 "wire: MessageId of an inconsistent message (header says %u attachments "
                 "and a %llu-byte body; the bytes hold %zu and %zu)\n",
                 header.attachment_count,
                 static_cast<unsigned long long>(header.body_len),
                 message.attachment_spans.size(), message.body_span.length);
    std::abort();
  }
  // The message as on the wire without the log and its length, which change
  // at every hop.
  MessageHasher hasher;
  hasher.AddU32(header.crypto_type);
  hasher.AddU32(header.attachment_count);
  hasher.AddU64(header.body_len);
  hasher.AddStr(header.dst_account);
  hasher.AddStr(header.dst_domain);
  hasher.AddStr(header.src_account);
  hasher.AddStr(header.src_domain);
  hasher.Add(message.body());
  for (size_t i = 0; i < message.attachment_spans.size(); ++i) {
    const std::string_view attachment = message.attachment(i);
    hasher.AddU64(attachment.size());
    hasher.Add(attachment);
  }
  return hasher.HexPrefix();
}

bool IsMessageId(std::string_view id) {
  if (id.size() != kIdBytes * 2) return false;
  for (char c : id) {
    const bool hex_digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!hex_digit) return false;
  }
  return true;
}

}  // namespace cmtp::wire
