// The `cmtp` subcommands. Each declares its own flags (on top of the common
// ones) and runs against parsed flags; main only dispatches.
#ifndef CMTP_TOOLS_CMTP_SUBCOMMANDS_H_
#define CMTP_TOOLS_CMTP_SUBCOMMANDS_H_

#include <cstddef>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "tools/cmtp/command_line.h"
#include "tools/cmtp/terminal.h"

namespace cmtp::cli {

struct Subcommand {
  std::string_view name;
  std::string_view usage;  // arguments after the name
  std::string_view summary;
  size_t min_positional;
  size_t max_positional;
  void (*declare)(CommandLine& line);
  absl::Status (*run)(const CommandLine& line, Terminal& terminal);
};

const std::vector<Subcommand>& Subcommands();

// One file per subcommand.
void DeclareRegister(CommandLine& line);
absl::Status RunRegister(const CommandLine& line, Terminal& terminal);
void DeclareSend(CommandLine& line);
absl::Status RunSend(const CommandLine& line, Terminal& terminal);
void DeclareInbox(CommandLine& line);
absl::Status RunInbox(const CommandLine& line, Terminal& terminal);
void DeclareRead(CommandLine& line);
absl::Status RunRead(const CommandLine& line, Terminal& terminal);
void DeclareDelete(CommandLine& line);
absl::Status RunDelete(const CommandLine& line, Terminal& terminal);
void DeclareKey(CommandLine& line);
absl::Status RunKey(const CommandLine& line, Terminal& terminal);
void DeclareDecrypt(CommandLine& line);
absl::Status RunDecrypt(const CommandLine& line, Terminal& terminal);

}  // namespace cmtp::cli

#endif  // CMTP_TOOLS_CMTP_SUBCOMMANDS_H_
