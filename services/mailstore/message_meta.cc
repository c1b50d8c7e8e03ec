#include "services/mailstore/message_meta.h"

#include <charconv>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"

namespace cmtp::mailstore {
namespace {

constexpr char kSeparator = '\0';
constexpr size_t kFieldCount = 5;

template <typename Integer>
bool ParseDecimal(std::string_view text, Integer& value) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

std::vector<std::string_view> SplitFields(std::string_view packed) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    size_t end = packed.find(kSeparator, start);
    if (end == std::string_view::npos) {
      fields.push_back(packed.substr(start));
      return fields;
    }
    fields.push_back(packed.substr(start, end - start));
    start = end + 1;
  }
}

}  // namespace

std::string PackMetaAfterSequence(uint64_t size, int64_t arrival_unix_ms,
                                  std::string_view src_account,
                                  std::string_view src_domain) {
  std::string packed = absl::StrCat(size, std::string(1, kSeparator), arrival_unix_ms);
  packed.push_back(kSeparator);
  packed.append(src_account);
  packed.push_back(kSeparator);
  packed.append(src_domain);
  return packed;
}

absl::StatusOr<MessageMeta> UnpackMeta(std::string_view message_id,
                                       std::string_view packed) {
  std::vector<std::string_view> fields = SplitFields(packed);
  MessageMeta meta;
  meta.message_id = std::string(message_id);
  if (fields.size() != kFieldCount || !ParseDecimal(fields[0], meta.sequence) ||
      !ParseDecimal(fields[1], meta.size) ||
      !ParseDecimal(fields[2], meta.arrival_unix_ms)) {
    return error::Internal(
        absl::StrCat("mailstore: corrupt metadata for message ", ToAbsl(message_id)));
  }
  meta.src_account = std::string(fields[3]);
  meta.src_domain = std::string(fields[4]);
  return meta;
}

}  // namespace cmtp::mailstore
