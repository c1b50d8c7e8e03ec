// Latency samples and their summary (nearest-rank percentiles).
#ifndef CMTP_BENCH_LATENCY_H_
#define CMTP_BENCH_LATENCY_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cmtp::bench {

struct LatencySummary {
  size_t count = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

// Sorts `samples_ns` in place. An empty set summarises to all zeros.
LatencySummary Summarize(std::vector<int64_t>& samples_ns);

}  // namespace cmtp::bench

#endif  // CMTP_BENCH_LATENCY_H_
