#include "lib/observability/timestamp.h"

#include <time.h>

#include <cstdio>

namespace cmtp::observability {

std::string FormatRfc3339Millis(std::chrono::system_clock::time_point time) {
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  const auto since_epoch = std::chrono::floor<milliseconds>(time.time_since_epoch());
  const auto whole_seconds = std::chrono::floor<seconds>(since_epoch);
  const long long millis = (since_epoch - whole_seconds).count();
  const time_t unix_seconds = static_cast<time_t>(whole_seconds.count());
  struct tm utc;
  gmtime_r(&unix_seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ",
                utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                utc.tm_sec, millis);
  return text;
}

}  // namespace cmtp::observability
