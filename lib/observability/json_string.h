// JSON string literals for log lines. Whatever bytes a peer sent end up as
// valid JSON: quotes, backslashes and control characters are escaped, and
// bytes that are not valid UTF-8 become U+FFFD, so one line stays one object.
#ifndef CMTP_LIB_OBSERVABILITY_JSON_STRING_H_
#define CMTP_LIB_OBSERVABILITY_JSON_STRING_H_

#include <string>
#include <string_view>

namespace cmtp::observability {

// Appends `text` to `out` as a JSON string, quotes included.
void AppendJsonString(std::string_view text, std::string& out);

// `text` as a JSON string, quotes included.
std::string JsonString(std::string_view text);

}  // namespace cmtp::observability

#endif  // CMTP_LIB_OBSERVABILITY_JSON_STRING_H_
