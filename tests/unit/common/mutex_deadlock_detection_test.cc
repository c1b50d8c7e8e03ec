#include "lib/common/mutex_deadlock_detection.h"

#include <gtest/gtest.h>

#include "absl/synchronization/mutex.h"

namespace cmtp {
namespace {

// Two locks taken in both orders: a cycle in the lock-order graph, which
// Abseil's checking (on in Debian's build) reports by aborting.
void LockInBothOrders() {
  absl::Mutex first;
  absl::Mutex second;
  {
    absl::MutexLock outer(&first);
    absl::MutexLock inner(&second);
  }
  {
    absl::MutexLock outer(&second);
    absl::MutexLock inner(&first);
  }
}

TEST(MutexDeadlockDetectionDeathTest, IsOnWithoutTheCall) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(LockInBothOrders(), "Potential Mutex deadlock");
}

TEST(MutexDeadlockDetectionDeathTest, IsOffAfterTheCall) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        TurnOffMutexDeadlockDetection();
        LockInBothOrders();
        std::exit(0);
      },
      testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace cmtp
