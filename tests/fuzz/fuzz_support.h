// Shared by the codec's fuzz targets: how an input's first bytes pick the
// limits and the read sizes, and how a broken invariant is reported.
#ifndef CMTP_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define CMTP_TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lib/wire/limits.h"

namespace cmtp::wire::fuzz {

// A broken invariant is a finding: crash so libFuzzer keeps the input.
inline void Require(bool condition, const char* invariant) {
  if (!condition) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", invariant);
    std::abort();
  }
}

// Selector < 128: the production defaults. Otherwise small limits, so short
// inputs reach every limit check.
inline Limits LimitsFromSelector(uint8_t selector) {
  Limits limits;
  if (selector < 128) return limits;
  limits.max_command_word = 4 + (selector & 7);
  limits.max_str = 8 + (selector & 0x3f);
  limits.max_log = 64;
  limits.max_message = 256;
  limits.max_attachments = 4;
  limits.max_xzibit = 200;
  limits.max_list_entries = 8;
  return limits;
}

// Read sizes for feeding a parser: seed 0 hands over everything at once,
// any other seed drives a small generator for reads of 0..31 bytes.
class ReadSizer {
 public:
  explicit ReadSizer(uint8_t seed) : state_(seed) {}
  size_t Next(size_t available) {
    if (state_ == 0) return available;
    state_ = state_ * 1103515245u + 12345u;
    const size_t n = (state_ >> 16) & 31;
    return n < available ? n : available;
  }

 private:
  uint32_t state_;
};

// Appends a length-prefixed field, so different field splits give
// different fingerprints.
inline void AddField(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out.push_back(':');
  out.append(field);
}

}  // namespace cmtp::wire::fuzz

#endif  // CMTP_TESTS_FUZZ_FUZZ_SUPPORT_H_
