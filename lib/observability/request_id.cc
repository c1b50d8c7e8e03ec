#include "lib/observability/request_id.h"

#include <cstdint>
#include <random>
#include <utility>

namespace cmtp::observability {
namespace {

constexpr size_t kMaxRequestIdLength = 128;

std::string& ThreadRequestId() {
  thread_local std::string id;
  return id;
}

bool IsRequestIdCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_' || c == '.' || c == ':';
}

}  // namespace

std::string NewRequestId() {
  // Ids need to be unique, not secret: a per-thread generator seeded from the
  // system's entropy avoids a lock on the hot path.
  thread_local std::mt19937_64 generator{[] {
    std::random_device entropy;
    std::seed_seq seed{entropy(), entropy(), entropy(), entropy()};
    return std::mt19937_64(seed);
  }()};
  static constexpr char kHexDigits[] = "0123456789abcdef";
  std::string id;
  id.reserve(32);
  for (int half = 0; half < 2; ++half) {
    uint64_t bits = generator();
    for (int nibble = 0; nibble < 16; ++nibble) {
      id.push_back(kHexDigits[bits & 0xF]);
      bits >>= 4;
    }
  }
  return id;
}

bool IsUsableRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    if (!IsRequestIdCharacter(c)) return false;
  }
  return true;
}

const std::string& CurrentRequestId() { return ThreadRequestId(); }

ScopedRequestId::ScopedRequestId(std::string id)
    : previous_(std::exchange(ThreadRequestId(), std::move(id))) {}

ScopedRequestId::~ScopedRequestId() { ThreadRequestId() = std::move(previous_); }

void AttachRequestId(grpc::ClientContext& context, std::string_view id) {
  context.AddMetadata(kRequestIdMetadataKey, std::string(id));
}

}  // namespace cmtp::observability
