// Internal to the codec: reads one field of a framed byte stream from partial
// input. A field is either a str (bytes up to a NUL, bounded) or a known
// number of bytes. The bytes go straight from the input into a caller-owned
// record (a command's or reply's bytes), so each byte is copied exactly once
// and the field's value is a view into that record.
#ifndef CMTP_LIB_WIRE_FIELD_READER_H_
#define CMTP_LIB_WIRE_FIELD_READER_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace cmtp::wire::internal {

class FieldReader {
 public:
  enum class Outcome {
    kNeedMore,  // the input is used up; the field is incomplete
    kDone,      // the field is complete: Value()
    kTooLong,   // a str ran past its maximum without a NUL; the reader is spent
  };

  // A str starting at `record_offset` in the record; bytes already in the
  // record past that offset count towards it.
  void StartStr(size_t record_offset, size_t max_length) {
    is_str_ = true;
    start_ = record_offset;
    max_length_ = max_length;
  }
  void StartBytes(size_t record_offset, uint64_t length) {
    is_str_ = false;
    start_ = record_offset;
    length_ = length;
  }

  // Bytes still missing from a fixed-size field (0 for a str).
  uint64_t Remaining(const std::string& record) const {
    return is_str_ ? 0 : length_ - (record.size() - start_);
  }

  // Moves bytes of this field from the front of `input` to the end of
  // `record`. Consumes only what belongs to the field.
  Outcome Read(std::string_view& input, std::string& record) {
    if (!is_str_) {
      const size_t take =
          static_cast<size_t>(std::min<uint64_t>(Remaining(record), input.size()));
      record.append(input.data(), take);
      input.remove_prefix(take);
      return Remaining(record) == 0 ? Outcome::kDone : Outcome::kNeedMore;
    }
    const size_t have = record.size() - start_;
    // At most max_length_ bytes and then the NUL can belong to the str.
    const size_t window = std::min(input.size(), max_length_ - have + 1);
    const void* nul = std::memchr(input.data(), '\0', window);
    if (nul != nullptr) {
      const size_t take = static_cast<const char*>(nul) - input.data() + 1;
      record.append(input.data(), take);
      input.remove_prefix(take);
      return Outcome::kDone;
    }
    if (window == max_length_ - have + 1) {
      // Consumed through the first byte past the maximum, so where the
      // error is reported does not depend on how the input was split.
      input.remove_prefix(window);
      return Outcome::kTooLong;
    }
    record.append(input.data(), window);
    input.remove_prefix(window);
    return Outcome::kNeedMore;
  }

  // The complete field: a str without its NUL, or the bytes.
  std::string_view Value(const std::string& record) const {
    const size_t end = is_str_ ? record.size() - 1 : record.size();
    return std::string_view(record).substr(start_, end - start_);
  }
  // Where the field's bytes start in the record.
  size_t start() const { return start_; }

 private:
  bool is_str_ = false;
  size_t start_ = 0;
  size_t max_length_ = 0;
  uint64_t length_ = 0;
};

// Makes room for `incoming` more bytes in a record whose final size is at
// most `planned` (already limit-checked). Grows by doubling rather than
// reserving `planned` at once, so a peer that announces a large payload and
// then sends nothing costs little memory; never reserves past `planned`.
inline void GrowForAppend(std::string& record, size_t incoming, uint64_t planned) {
  constexpr size_t kMinimumGrowth = 64 * 1024;
  const size_t needed = record.size() + incoming;
  if (needed <= record.capacity()) return;
  const uint64_t doubled = std::max<uint64_t>(record.capacity() * 2, kMinimumGrowth);
  const size_t target = std::max<uint64_t>(needed, std::min(planned, doubled));
  // std::string::reserve in libstdc++ at least doubles the capacity, which
  // for a 32 MiB message would mean 64 MiB; a fresh string gets exactly
  // what it asks for.
  std::string grown;
  grown.reserve(target);
  grown.append(record);
  record.swap(grown);
}

}  // namespace cmtp::wire::internal

#endif  // CMTP_LIB_WIRE_FIELD_READER_H_
