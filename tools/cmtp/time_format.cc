#include "tools/cmtp/time_format.h"

#include <chrono>
#include <ctime>

namespace cmtp::cli {

std::string FormatUtc(int64_t unix_ms) {
  // Floor division so times before 1970 still land on the right second.
  const int64_t seconds = unix_ms >= 0 ? unix_ms / 1000 : -((-unix_ms + 999) / 1000);
  const std::time_t time = static_cast<std::time_t>(seconds);
  std::tm parts{};
  if (gmtime_r(&time, &parts) == nullptr) return "(invalid date)";
  char text[32];
  const size_t length = std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &parts);
  if (length == 0) return "(invalid date)";
  return std::string(text, length);
}

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace cmtp::cli
