// A strict parser for the log lines under test: one flat JSON object whose
// values are strings, numbers, booleans or null (RFC 8259 grammar; nested
// values are not expected in a log line and count as a parse failure).
#ifndef CMTP_TESTS_UNIT_OBSERVABILITY_JSON_LINE_H_
#define CMTP_TESTS_UNIT_OBSERVABILITY_JSON_LINE_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cmtp::testing {

struct JsonValue {
  enum class Type { kString, kNumber, kBool, kNull };
  Type type = Type::kNull;
  std::string text;  // strings decoded; numbers as written
  bool boolean = false;
};

struct JsonLine {
  std::map<std::string, JsonValue> fields;
  std::vector<std::string> keys_in_order;
};

// The object `line` holds (a trailing '\n' allowed), or nullopt when it is
// not exactly one valid flat JSON object or repeats a key.
std::optional<JsonLine> ParseJsonLine(std::string_view line);

// Splits a log text into lines (without their '\n').
std::vector<std::string> SplitLines(std::string_view text);

}  // namespace cmtp::testing

#endif  // CMTP_TESTS_UNIT_OBSERVABILITY_JSON_LINE_H_
