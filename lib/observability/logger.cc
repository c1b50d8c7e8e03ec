#include "lib/observability/logger.h"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/observability/json_string.h"
#include "lib/observability/request_id.h"
#include "lib/observability/timestamp.h"

namespace cmtp::observability {
namespace {

constexpr std::string_view kRequestIdKey = "request_id";

bool IsCoreKey(std::string_view key) {
  return key == "ts" || key == "level" || key == "service" || key == "msg";
}

std::string FieldKey(const LogField& field) {
  return IsCoreKey(field.key()) ? absl::StrCat("field_", field.key()) : field.key();
}

bool NeedsQuotesInText(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' ||
        static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return true;
    }
  }
  return false;
}

std::string FormatDouble(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.6g", value);
  return text;
}

// Writes the whole line with as few write(2) calls as the kernel allows; the
// mutex keeps lines of different threads apart.
void WriteToStandardError(std::string_view line) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  while (!line.empty()) {
    ssize_t written = ::write(STDERR_FILENO, line.data(), line.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return;  // Nowhere left to report it.
    }
    line.remove_prefix(static_cast<size_t>(written));
  }
}

}  // namespace

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

absl::StatusOr<LogLevel> ParseLogLevel(std::string_view name) {
  for (LogLevel level :
       {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning, LogLevel::kError}) {
    if (name == LogLevelName(level)) return level;
  }
  return error::InvalidInput(absl::StrCat("unknown log level \"", ToAbsl(name),
                                          "\" (debug, info, warning or error)"));
}

absl::StatusOr<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "json") return LogFormat::kJson;
  if (name == "text") return LogFormat::kText;
  return error::InvalidInput(
      absl::StrCat("unknown log format \"", ToAbsl(name), "\" (json or text)"));
}

LogField::LogField(std::string_view key, std::string value, bool is_string)
    : key_(key), value_(std::move(value)), is_string_(is_string) {}

LogField::LogField(std::string_view key, std::string_view value)
    : LogField(key, std::string(value), /*is_string=*/true) {}

LogField::LogField(std::string_view key, const char* value)
    : LogField(key, std::string_view(value)) {}

LogField::LogField(std::string_view key, const std::string& value)
    : LogField(key, std::string_view(value)) {}

LogField::LogField(std::string_view key, absl::string_view value)
    : LogField(key, FromAbsl(value)) {}

LogField::LogField(std::string_view key, double value)
    // JSON has no NaN or infinity: those go as strings.
    : LogField(key, FormatDouble(value), /*is_string=*/!std::isfinite(value)) {}

LogField::LogField(std::string_view key, bool value)
    : LogField(key, value ? "true" : "false", /*is_string=*/false) {}

std::string LogField::JsonValue() const {
  return is_string_ ? JsonString(value_) : value_;
}

std::string LogField::TextValue() const {
  return is_string_ && NeedsQuotesInText(value_) ? JsonString(value_) : value_;
}

Logger::Logger(std::string service, LogFormat format, LogLevel min_level, LineSink sink)
    : service_(std::move(service)),
      format_(format),
      min_level_(min_level),
      sink_(sink ? std::move(sink) : LineSink(WriteToStandardError)) {}

void Logger::Log(LogLevel level, std::string_view msg,
                 std::initializer_list<LogField> fields) const {
  if (!Enabled(level)) return;
  sink_(FormatLine(std::chrono::system_clock::now(), level, msg, fields));
}

std::string Logger::FormatLine(std::chrono::system_clock::time_point time, LogLevel level,
                               std::string_view msg,
                               std::initializer_list<LogField> fields) const {
  bool fields_name_request_id = false;
  for (const LogField& field : fields) {
    if (field.key() == kRequestIdKey) fields_name_request_id = true;
  }
  const std::string& current_request_id = CurrentRequestId();
  const bool add_current_request_id =
      !fields_name_request_id && !current_request_id.empty();

  std::string line;
  if (format_ == LogFormat::kJson) {
    absl::StrAppend(&line, "{\"ts\":\"", FormatRfc3339Millis(time), "\",\"level\":\"",
                    ToAbsl(LogLevelName(level)), "\",\"service\":");
    AppendJsonString(service_, line);
    line.append(",\"msg\":");
    AppendJsonString(msg, line);
    if (add_current_request_id) {
      absl::StrAppend(&line, ",\"", ToAbsl(kRequestIdKey), "\":");
      AppendJsonString(current_request_id, line);
    }
    for (const LogField& field : fields) {
      line.push_back(',');
      AppendJsonString(FieldKey(field), line);
      line.push_back(':');
      line.append(field.JsonValue());
    }
    line.append("}\n");
    return line;
  }

  absl::StrAppend(&line, FormatRfc3339Millis(time), " ", ToAbsl(LogLevelName(level)), " ",
                  service_, ": ");
  // The message is free text; only line breaks would break the format.
  for (char c : msg) line.push_back(c == '\n' || c == '\r' ? ' ' : c);
  if (add_current_request_id) {
    LogField request_id(kRequestIdKey, current_request_id);
    absl::StrAppend(&line, " ", ToAbsl(kRequestIdKey), "=", request_id.TextValue());
  }
  for (const LogField& field : fields) {
    absl::StrAppend(&line, " ", FieldKey(field), "=", field.TextValue());
  }
  line.push_back('\n');
  return line;
}

}  // namespace cmtp::observability
