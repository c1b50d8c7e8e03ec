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

}  // namespace cmtp::redis

#endif  // CMTP_LIB_REDIS_ERROR_REPLY_H_
