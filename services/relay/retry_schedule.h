// When to try a message again after a temporary failure: a configurable list
// of delays (default 1 min, 5 min, 15 min, 30 min, 1 h, then 2 h forever),
// the last one repeating.
#ifndef CMTP_SERVICES_RELAY_RETRY_SCHEDULE_H_
#define CMTP_SERVICES_RELAY_RETRY_SCHEDULE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace cmtp::relay {

class RetrySchedule {
 public:
  // The default schedule.
  RetrySchedule();
  // `delays_seconds` must not be empty and every delay must be positive
  // (check with Parse); anything else is a programming error: abort.
  explicit RetrySchedule(std::vector<int64_t> delays_seconds);

  // "60,300,900": seconds, comma-separated, each positive.
  static absl::StatusOr<RetrySchedule> Parse(std::string_view text);

  // The wait after the `failures`-th failed attempt (1 for the first).
  int64_t DelayMsAfter(uint32_t failures) const;

  const std::vector<int64_t>& delays_seconds() const { return delays_seconds_; }

 private:
  std::vector<int64_t> delays_seconds_;
};

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_RETRY_SCHEDULE_H_
