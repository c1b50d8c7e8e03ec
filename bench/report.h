// One benchmark result: an ordered list of named values, printed as a human
// table and as one JSON line (the line bench/compare reads).
#ifndef CMTP_BENCH_REPORT_H_
#define CMTP_BENCH_REPORT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bench/latency.h"

namespace cmtp::bench {

class Report {
 public:
  void AddText(const std::string& key, const std::string& value);
  void AddInt(const std::string& key, int64_t value);
  void AddNumber(const std::string& key, double value);
  // p50_ms, p90_ms, p99_ms, max_ms, mean_ms under `prefix`.
  void AddLatency(const std::string& prefix, const LatencySummary& summary);

  // "key   value" lines, aligned.
  std::string Table() const;
  // {"key":value,...} on one line, no newline.
  std::string Json() const;

 private:
  struct Entry {
    std::string key;
    std::string json;   // the value as JSON
    std::string human;  // the value for the table
  };
  std::vector<Entry> entries_;
};

}  // namespace cmtp::bench

#endif  // CMTP_BENCH_REPORT_H_
