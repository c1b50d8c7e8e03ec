// How a Redis error reply becomes an absl::Status (shared by the pool, which
// makes them, and by callers that test for one, e.g. Script and NOSCRIPT).
#ifndef CMTP_LIB_REDIS_ERROR_REPLY_H_
#define CMTP_LIB_REDIS_ERROR_REPLY_H_

#include <string_view>

#include "absl/status/status.h"

namespace cmtp::redis {

// "redis: <text>": Unavailable for the transient codes (Redis is loading,
// busy, read-only, full, cannot persist, ...: retrying later may succeed), Internal
// for everything else (a bug of ours or a script error).
absl::Status ErrorReplyStatus(std::string_view text);

// True for the error replies of a server that is not a usable master right
// now: READONLY (a replica, e.g. a master demoted by a failover), LOADING
// (still reading its data after a restart) and MASTERDOWN (a replica whose
// link to its master is down). A command answered so did not run.
bool IsNotMasterError(const absl::Status& status);

}  // namespace cmtp::redis

#endif  // CMTP_LIB_REDIS_ERROR_REPLY_H_
