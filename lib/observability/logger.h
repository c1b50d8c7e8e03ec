// Structured logs: one line per event on stderr, by default one JSON object
//
//   {"ts":"2024-05-01T12:34:56.789Z","level":"info","service":"mailstore",
//    "msg":"rpc","request_id":"3f...","method":"/cmtp.v1.MailStore/Put",...}
//
// with `ts` (RFC 3339, UTC, milliseconds), `level`, `service` and `msg` always
// first, then `request_id` when the thread has a current one (request_id.h)
// or a field gives it, then the fields in the order given. Values are JSON
// strings, numbers or booleans; strings are escaped (json_string.h), so each
// line parses whatever it carries. The text format is for people at a
// terminal: `TS LEVEL SERVICE: MSG key=value ...`.
//
// Logger is thread-safe; lines written at the same time never interleave.
#ifndef CMTP_LIB_OBSERVABILITY_LOGGER_H_
#define CMTP_LIB_OBSERVABILITY_LOGGER_H_

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cmtp::observability {

enum class LogLevel { kDebug, kInfo, kWarning, kError };
enum class LogFormat { kJson, kText };

// "debug", "info", "warning", "error".
std::string_view LogLevelName(LogLevel level);
// Those names; InvalidArgument otherwise.
absl::StatusOr<LogLevel> ParseLogLevel(std::string_view name);
// "json" or "text"; InvalidArgument otherwise.
absl::StatusOr<LogFormat> ParseLogFormat(std::string_view name);

// One key and value of a log line besides ts, level, service and msg.
// A field named like one of those four is written as `field_<key>`.
class LogField {
 public:
  LogField(std::string_view key, std::string_view value);
  LogField(std::string_view key, const char* value);
  LogField(std::string_view key, const std::string& value);
  // Status messages and the like (Debian's absl::string_view is its own type).
  LogField(std::string_view key, absl::string_view value);
  LogField(std::string_view key, double value);
  LogField(std::string_view key, bool value);
  template <std::integral Integer>
  requires(!std::same_as<Integer, bool>) LogField(std::string_view key, Integer value)
      : LogField(key, std::to_string(value), /*is_string=*/false) {}

  const std::string& key() const { return key_; }
  // The value as a JSON literal: a quoted string, a number, true or false.
  std::string JsonValue() const;
  // The value for the text format: bare, or JSON-quoted when it has spaces,
  // quotes, '=' or control characters, or is empty.
  std::string TextValue() const;

 private:
  LogField(std::string_view key, std::string value, bool is_string);

  std::string key_;
  std::string value_;
  bool is_string_;
};

class Logger {
 public:
  // Receives each finished line, '\n' included.
  using LineSink = std::function<void(std::string_view line)>;

  // `sink` empty: standard error, one write(2) per line.
  explicit Logger(std::string service, LogFormat format = LogFormat::kJson,
                  LogLevel min_level = LogLevel::kInfo, LineSink sink = {});

  // Writes a line when `level` is at least the logger's minimum level.
  void Log(LogLevel level, std::string_view msg,
           std::initializer_list<LogField> fields = {}) const;
  void Debug(std::string_view msg, std::initializer_list<LogField> fields = {}) const {
    Log(LogLevel::kDebug, msg, fields);
  }
  void Info(std::string_view msg, std::initializer_list<LogField> fields = {}) const {
    Log(LogLevel::kInfo, msg, fields);
  }
  void Warning(std::string_view msg, std::initializer_list<LogField> fields = {}) const {
    Log(LogLevel::kWarning, msg, fields);
  }
  void Error(std::string_view msg, std::initializer_list<LogField> fields = {}) const {
    Log(LogLevel::kError, msg, fields);
  }

  bool Enabled(LogLevel level) const { return level >= min_level_; }
  const std::string& service() const { return service_; }

  // The line Log writes at `time`, without the minimum-level check.
  std::string FormatLine(std::chrono::system_clock::time_point time, LogLevel level,
                         std::string_view msg,
                         std::initializer_list<LogField> fields) const;

 private:
  std::string service_;
  LogFormat format_;
  LogLevel min_level_;
  LineSink sink_;
};

}  // namespace cmtp::observability

#endif  // CMTP_LIB_OBSERVABILITY_LOGGER_H_
