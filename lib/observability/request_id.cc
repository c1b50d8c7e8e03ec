#include "lib/observability/request_id.h"

#include <atomic>
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

// splitmix64's output function: spreads a counter over all 64 bits.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Read from the system's entropy once per process: a std::random_device per
// thread cost the synchronous gRPC servers, which start and end threads
// under load, 7 % of their CPU (docs/performance.md).
uint64_t ProcessSeed() {
  static const uint64_t seed = [] {
    std::random_device entropy;
    return (uint64_t{entropy()} << 32) ^ entropy();
  }();
  return seed;
}

}  // namespace

std::string NewRequestId() {
  // Ids need to be unique, not secret: a per-thread generator avoids a lock
  // on the hot path, and each thread's seed is the process seed mixed with a
  // thread number, so no two threads share a sequence.
  static std::atomic<uint64_t> threads_seeded{0};
  thread_local std::mt19937_64 generator{
      Mix(ProcessSeed() + Mix(threads_seeded.fetch_add(1, std::memory_order_relaxed)))};
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
