// `cmtpctl` as a function: parses flags and the command words, runs the
// command against the keyserver / mailstore, returns the exit code (the same
// codes as `cmtp`: 0 ok, 1 refused or unreachable, 2 usage, 3 crypto).
#ifndef CMTP_TOOLS_CMTPCTL_CTL_CLI_H_
#define CMTP_TOOLS_CMTPCTL_CTL_CLI_H_

#include <string>
#include <vector>

#include "tools/cmtp/terminal.h"

namespace cmtp::ctl {

int RunCtl(const std::vector<std::string>& args, cli::Terminal& terminal);

}  // namespace cmtp::ctl

#endif  // CMTP_TOOLS_CMTPCTL_CTL_CLI_H_
