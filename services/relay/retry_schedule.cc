#include "services/relay/retry_schedule.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"

namespace cmtp::relay {
namespace {

// A week: longer waits are surely a typo (and ms must not overflow).
constexpr int64_t kLongestDelaySeconds = 7 * 24 * 3600;

}  // namespace

RetrySchedule::RetrySchedule() : RetrySchedule({60, 300, 900, 1800, 3600, 7200}) {}

RetrySchedule::RetrySchedule(std::vector<int64_t> delays_seconds)
    : delays_seconds_(std::move(delays_seconds)) {
  bool valid = !delays_seconds_.empty();
  for (int64_t delay : delays_seconds_) {
    valid = valid && delay > 0 && delay <= kLongestDelaySeconds;
  }
  if (!valid) {
    std::fprintf(stderr, "relay: invalid retry schedule (check it with Parse)\n");
    std::abort();
  }
}

absl::StatusOr<RetrySchedule> RetrySchedule::Parse(std::string_view text) {
  std::vector<int64_t> delays;
  for (absl::string_view part : absl::StrSplit(ToAbsl(text), ',')) {
    part = absl::StripAsciiWhitespace(part);
    int64_t seconds = 0;
    if (!absl::SimpleAtoi(part, &seconds) || seconds <= 0 ||
        seconds > kLongestDelaySeconds) {
      return error::InvalidInput(
          absl::StrCat("retry schedule \"", ToAbsl(text), "\": \"", part,
                       "\" is not a number of seconds in 1..", kLongestDelaySeconds));
    }
    delays.push_back(seconds);
  }
  return RetrySchedule(std::move(delays));
}

int64_t RetrySchedule::DelayMsAfter(uint32_t failures) const {
  const size_t index = failures == 0 ? 0 : failures - 1;
  const size_t last = delays_seconds_.size() - 1;
  return delays_seconds_[index < last ? index : last] * 1000;
}

}  // namespace cmtp::relay
