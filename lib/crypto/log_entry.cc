#include "lib/crypto/log_entry.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/crypto/sodium.h"
#include "lib/wire/serializer.h"

namespace cmtp::crypto {
namespace {

using std::string_view_literals::operator""sv;

constexpr std::string_view kSignatureLabel = "CMTP-LOG-1\0"sv;
constexpr std::string_view kTextPrefix = "CMTP-LOG-1 ";
// u32 crypto_type | u32 attachment_count | u64 log_len | u64 body_len.
constexpr size_t kLogLenOffset = 8;
constexpr size_t kFixedHeaderSize = 24;
constexpr int kEnvelopeStrs = 4;
constexpr size_t kMaxStr = 255;

// Where the log of raw message bytes lies.
struct LogPlacement {
  size_t start = 0;
  uint64_t length = 0;
};

absl::StatusOr<LogPlacement> FindLog(std::string_view bytes) {
  if (bytes.size() < kFixedHeaderSize) {
    return error::InvalidInput("message bytes shorter than a MAIL header");
  }
  size_t offset = kFixedHeaderSize;
  for (int i = 0; i < kEnvelopeStrs; ++i) {
    const size_t nul = bytes.find('\0', offset);
    if (nul == std::string_view::npos || nul - offset > kMaxStr) {
      return error::InvalidInput("message bytes with a broken envelope");
    }
    offset = nul + 1;
  }
  const uint64_t log_len = wire::ReadU64(bytes.data() + kLogLenOffset);
  if (log_len > bytes.size() - offset) {
    return error::InvalidInput("message bytes shorter than their log");
  }
  return LogPlacement{offset, log_len};
}

absl::Status CheckLogLimit(uint64_t log_len, size_t entry_size, uint64_t max_log) {
  if (entry_size > max_log || log_len > max_log - entry_size) {
    return error::LimitExceeded(absl::StrCat("the log would exceed ", max_log,
                                             " bytes with this server's entry"));
  }
  return absl::OkStatus();
}

void WriteLogLen(std::string& bytes, uint64_t log_len) {
  std::string encoded;
  wire::AppendU64(encoded, log_len);
  bytes.replace(kLogLenOffset, encoded.size(), encoded);
}

// Moves the spans after the log by `delta` bytes (negative: back).
void ShiftAfterLog(wire::MailMessage& message, int64_t delta) {
  auto shift = [delta](wire::Span& span) {
    span.offset = static_cast<size_t>(static_cast<int64_t>(span.offset) + delta);
  };
  message.log_span.length =
      static_cast<size_t>(static_cast<int64_t>(message.log_span.length) + delta);
  message.header.log_len = message.log_span.length;
  shift(message.body_span);
  for (wire::Span& span : message.attachment_spans) shift(span);
  WriteLogLen(message.bytes, message.header.log_len);
}

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// "accepted <domain> <unix_ms> <hex sig>" (after the prefix). The domain is
// everything between the action and the last two fields, so it is read the
// same however it is spelled.
std::optional<LogEntry> ParseEntryText(std::string_view text) {
  if (!text.starts_with(kTextPrefix)) return std::nullopt;
  text.remove_prefix(kTextPrefix.size());
  const size_t action_end = text.find(' ');
  const size_t signature_start = text.rfind(' ');
  if (action_end == std::string_view::npos || signature_start <= action_end) {
    return std::nullopt;
  }
  const size_t time_start = text.rfind(' ', signature_start - 1);
  if (time_start == std::string_view::npos || time_start <= action_end) {
    return std::nullopt;
  }
  LogEntry entry;
  entry.action = std::string(text.substr(0, action_end));
  entry.domain = std::string(text.substr(action_end + 1, time_start - action_end - 1));
  const std::string_view time =
      text.substr(time_start + 1, signature_start - time_start - 1);
  const std::string_view signature_hex = text.substr(signature_start + 1);
  if (entry.action.empty() || entry.domain.empty() || !AllDigits(time) ||
      signature_hex.size() != kSignatureSize * 2) {
    return std::nullopt;
  }
  const auto [end, error] =
      std::from_chars(time.data(), time.data() + time.size(), entry.unix_ms);
  if (error != std::errc() || end != time.data() + time.size()) return std::nullopt;
  absl::StatusOr<std::string> signature = FromHex(signature_hex);
  if (!signature.ok()) return std::nullopt;
  entry.signature = std::move(*signature);
  return entry;
}

}  // namespace

std::string LogEntrySignedBytes(std::string_view action, std::string_view domain,
                                int64_t unix_ms, std::string_view message_id) {
  std::string bytes(kSignatureLabel);
  bytes.append(action);
  bytes.push_back('\0');
  bytes.append(domain);
  bytes.push_back('\0');
  wire::AppendU64(bytes, static_cast<uint64_t>(unix_ms));
  bytes.append(message_id);
  return bytes;
}

std::string MakeLogEntry(std::string_view domain, int64_t unix_ms,
                         std::string_view message_id,
                         std::string_view server_secret_key) {
  if (unix_ms < 0) {
    std::fprintf(stderr, "crypto: fatal: log entry with a negative time\n");
    std::abort();
  }
  const std::string signature =
      Sign(server_secret_key,
           LogEntrySignedBytes(kLogActionAccepted, domain, unix_ms, message_id));
  std::string entry = absl::StrCat(ToAbsl(kTextPrefix), ToAbsl(kLogActionAccepted), " ",
                                   ToAbsl(domain), " ", unix_ms, " ", ToHex(signature));
  entry.push_back('\0');
  return entry;
}

absl::StatusOr<std::string> AppendLogEntry(std::string_view message_bytes,
                                           std::string_view domain, int64_t unix_ms,
                                           std::string_view message_id,
                                           std::string_view server_secret_key,
                                           uint64_t max_log) {
  absl::StatusOr<LogPlacement> log = FindLog(message_bytes);
  if (!log.ok()) return log.status();
  const std::string entry = MakeLogEntry(domain, unix_ms, message_id, server_secret_key);
  if (absl::Status fits = CheckLogLimit(log->length, entry.size(), max_log); !fits.ok()) {
    return fits;
  }
  const size_t log_end = log->start + static_cast<size_t>(log->length);
  std::string out;
  out.reserve(message_bytes.size() + entry.size());
  out.append(message_bytes.substr(0, log_end));
  out.append(entry);
  out.append(message_bytes.substr(log_end));
  WriteLogLen(out, log->length + entry.size());
  return out;
}

absl::Status InsertLogEntry(wire::MailMessage& message, std::string_view entry,
                            uint64_t max_log) {
  if (absl::Status fits = CheckLogLimit(message.log_span.length, entry.size(), max_log);
      !fits.ok()) {
    return fits;
  }
  message.bytes.insert(message.log_span.offset + message.log_span.length, entry);
  ShiftAfterLog(message, static_cast<int64_t>(entry.size()));
  return absl::OkStatus();
}

void RemoveInsertedLogEntry(wire::MailMessage& message, size_t entry_size) {
  if (entry_size > message.log_span.length) {
    std::fprintf(stderr, "crypto: fatal: removing %zu log bytes from a %zu-byte log\n",
                 entry_size, message.log_span.length);
    std::abort();
  }
  message.bytes.erase(message.log_span.offset + message.log_span.length - entry_size,
                      entry_size);
  ShiftAfterLog(message, -static_cast<int64_t>(entry_size));
}

std::vector<LogLine> ParseLogEntries(std::string_view log) {
  std::vector<LogLine> lines;
  while (!log.empty()) {
    const size_t nul = log.find('\0');
    const std::string_view text = log.substr(0, nul);
    LogLine line;
    line.text = std::string(text);
    line.entry = ParseEntryText(text);
    lines.push_back(std::move(line));
    if (nul == std::string_view::npos) break;
    log.remove_prefix(nul + 1);
  }
  return lines;
}

bool VerifyLogEntry(const LogEntry& entry, std::string_view message_id,
                    std::string_view server_public_key) {
  return Verify(
      server_public_key,
      LogEntrySignedBytes(entry.action, entry.domain, entry.unix_ms, message_id),
      entry.signature);
}

}  // namespace cmtp::crypto
