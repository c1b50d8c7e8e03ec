// `cmtp` as a function: parses the subcommand and its flags, runs it, prints
// any error on the terminal's error stream and returns the exit code.
#ifndef CMTP_TOOLS_CMTP_CLI_H_
#define CMTP_TOOLS_CMTP_CLI_H_

#include <string>
#include <vector>

#include "tools/cmtp/terminal.h"

namespace cmtp::cli {

// `args` excludes the program name.
int RunCli(const std::vector<std::string>& args, Terminal& terminal);

}  // namespace cmtp::cli

#endif  // CMTP_TOOLS_CMTP_CLI_H_
