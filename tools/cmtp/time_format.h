// Dates as the CLIs print them: UTC ISO-8601, to the second.
#ifndef CMTP_TOOLS_CMTP_TIME_FORMAT_H_
#define CMTP_TOOLS_CMTP_TIME_FORMAT_H_

#include <cstdint>
#include <string>

namespace cmtp::cli {

// "2016-01-21T10:00:00Z" for 1453370400000.
std::string FormatUtc(int64_t unix_ms);

// Milliseconds since the Unix epoch, now.
int64_t NowUnixMs();

}  // namespace cmtp::cli

#endif  // CMTP_TOOLS_CMTP_TIME_FORMAT_H_
