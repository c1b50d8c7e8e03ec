#include "lib/common/mutex_deadlock_detection.h"

#include "absl/synchronization/mutex.h"

namespace cmtp {

void TurnOffMutexDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace cmtp
