#include "bench/latency.h"

#include <algorithm>
#include <cmath>

namespace cmtp::bench {
namespace {

constexpr double kNsPerMs = 1e6;

// Nearest rank: the smallest sample with at least `p` of all samples at or
// below it.
double Percentile(const std::vector<int64_t>& sorted, double p) {
  const size_t n = sorted.size();
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(n)));
  rank = std::clamp<size_t>(rank, 1, n);
  return static_cast<double>(sorted[rank - 1]) / kNsPerMs;
}

}  // namespace

LatencySummary Summarize(std::vector<int64_t>& samples_ns) {
  LatencySummary summary;
  if (samples_ns.empty()) return summary;
  std::sort(samples_ns.begin(), samples_ns.end());
  double total = 0;
  for (int64_t s : samples_ns) total += static_cast<double>(s);
  summary.count = samples_ns.size();
  summary.mean_ms = total / static_cast<double>(samples_ns.size()) / kNsPerMs;
  summary.p50_ms = Percentile(samples_ns, 0.50);
  summary.p90_ms = Percentile(samples_ns, 0.90);
  summary.p99_ms = Percentile(samples_ns, 0.99);
  summary.max_ms = static_cast<double>(samples_ns.back()) / kNsPerMs;
  return summary;
}

}  // namespace cmtp::bench
