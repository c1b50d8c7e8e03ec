#include "lib/redis/error_reply.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/redis/client.h"

namespace cmtp::redis {
namespace {

constexpr std::string_view kPrefix = "redis: ";

// Error codes that describe the server's state rather than the command
// (OOM: Redis is at maxmemory; deletes may make room).
constexpr std::array<std::string_view, 9> kTransientCodes = {
    "LOADING",  "BUSY",    "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN",
    "READONLY", "MISCONF", "NOREPLICAS", "OOM"};

std::string_view FirstWord(std::string_view text) {
  return text.substr(0, text.find(' '));
}

}  // namespace

absl::Status ErrorReplyStatus(std::string_view text) {
  std::string message = absl::StrCat(ToAbsl(kPrefix), ToAbsl(text));
  std::string_view code = FirstWord(text);
  for (std::string_view transient : kTransientCodes) {
    if (code == transient) return error::Unavailable(message);
  }
  return error::Internal(message);
}

bool IsNotMasterError(const absl::Status& status) {
  return IsRedisError(status, "READONLY") || IsRedisError(status, "LOADING") ||
         IsRedisError(status, "MASTERDOWN");
}

bool IsRedisError(const absl::Status& status, std::string_view code) {
  if (status.code() != absl::StatusCode::kInternal &&
      status.code() != absl::StatusCode::kUnavailable) {
    return false;
  }
  std::string_view message = FromAbsl(status.message());
  if (message.substr(0, kPrefix.size()) != kPrefix) return false;
  return FirstWord(message.substr(kPrefix.size())) == code;
}

}  // namespace cmtp::redis
