#include "bench/report.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cmtp::bench {
namespace {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += "\"";
  return out;
}

}  // namespace

void Report::AddText(const std::string& key, const std::string& value) {
  entries_.push_back({key, JsonString(value), value});
}

void Report::AddInt(const std::string& key, int64_t value) {
  entries_.push_back({key, absl::StrCat(value), absl::StrCat(value)});
}

void Report::AddNumber(const std::string& key, double value) {
  if (!std::isfinite(value)) value = 0;
  entries_.push_back(
      {key, absl::StrFormat("%.6g", value), absl::StrFormat("%.3f", value)});
}

void Report::AddLatency(const std::string& prefix, const LatencySummary& summary) {
  AddNumber(prefix + "p50_ms", summary.p50_ms);
  AddNumber(prefix + "p90_ms", summary.p90_ms);
  AddNumber(prefix + "p99_ms", summary.p99_ms);
  AddNumber(prefix + "max_ms", summary.max_ms);
  AddNumber(prefix + "mean_ms", summary.mean_ms);
}

std::string Report::Table() const {
  size_t width = 0;
  for (const Entry& e : entries_) width = std::max(width, e.key.size());
  std::string out;
  for (const Entry& e : entries_) {
    absl::StrAppend(&out, "  ", e.key, std::string(width - e.key.size() + 2, ' '),
                    e.human, "\n");
  }
  return out;
}

std::string Report::Json() const {
  std::string out = "{";
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (i > 0) out += ",";
    absl::StrAppend(&out, JsonString(entries_[i].key), ":", entries_[i].json);
  }
  out += "}";
  return out;
}

}  // namespace cmtp::bench
