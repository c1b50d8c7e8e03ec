#include "lib/observability/timestamp.h"

#include <gtest/gtest.h>

#include <chrono>

namespace cmtp::observability {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::system_clock;

system_clock::time_point At(system_clock::duration since_epoch) {
  return system_clock::time_point(since_epoch);
}

TEST(TimestampTest, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(FormatRfc3339Millis(At(milliseconds(0))), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Millis(At(milliseconds(1714566896789))),
            "2024-05-01T12:34:56.789Z");
  // A leap day, and the last millisecond of a year.
  EXPECT_EQ(FormatRfc3339Millis(At(milliseconds(1709164800000))),
            "2024-02-29T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Millis(At(milliseconds(1704067199999))),
            "2023-12-31T23:59:59.999Z");
}

TEST(TimestampTest, RoundsDownToTheMillisecond) {
  EXPECT_EQ(FormatRfc3339Millis(At(microseconds(1999))), "1970-01-01T00:00:00.001Z");
  EXPECT_EQ(FormatRfc3339Millis(At(microseconds(-1))), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace cmtp::observability
