// The time format of every log line: RFC 3339 in UTC with milliseconds,
// e.g. "2024-05-01T12:34:56.789Z".
#ifndef CMTP_LIB_OBSERVABILITY_TIMESTAMP_H_
#define CMTP_LIB_OBSERVABILITY_TIMESTAMP_H_

#include <chrono>
#include <string>

namespace cmtp::observability {

// Rounds down to the millisecond.
std::string FormatRfc3339Millis(std::chrono::system_clock::time_point time);

}  // namespace cmtp::observability

#endif  // CMTP_LIB_OBSERVABILITY_TIMESTAMP_H_
