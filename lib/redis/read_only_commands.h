// The commands the pool may re-send on its own after a broken connection
// because running them twice changes nothing (see Retry in client.h).
#ifndef CMTP_LIB_REDIS_READ_ONLY_COMMANDS_H_
#define CMTP_LIB_REDIS_READ_ONLY_COMMANDS_H_

#include <string_view>
#include <vector>

namespace cmtp::redis {

// True for a command (argv, name first, any case) that only reads, or that is
// idempotent by construction (SCRIPT LOAD, SCRIPT EXISTS).
bool IsReadOnlyCommand(const std::vector<std::string_view>& argv);

}  // namespace cmtp::redis

#endif  // CMTP_LIB_REDIS_READ_ONLY_COMMANDS_H_
