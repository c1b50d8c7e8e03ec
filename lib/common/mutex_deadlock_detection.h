// Abseil's lock-order checking, off for the services.
//
// Debian builds Abseil without NDEBUG, so absl::Mutex runs in its debug mode:
// every lock taken is recorded per thread and, while another is held, added
// to one process-wide lock-order graph under a global spin lock (and a cycle
// in that graph aborts the process). gRPC takes absl::Mutex many times per
// call on every one of its threads; a lock and unlock pair costs about four
// times as much with the checking as without it on this machine.
#ifndef CMTP_LIB_COMMON_MUTEX_DEADLOCK_DETECTION_H_
#define CMTP_LIB_COMMON_MUTEX_DEADLOCK_DETECTION_H_

namespace cmtp {

// Turns absl::Mutex's deadlock detection off for the rest of the process.
// Called first thing in main, before any thread starts; tests leave it on.
void TurnOffMutexDeadlockDetection();

}  // namespace cmtp

#endif  // CMTP_LIB_COMMON_MUTEX_DEADLOCK_DETECTION_H_
