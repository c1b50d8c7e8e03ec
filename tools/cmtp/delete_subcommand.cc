// cmtp delete ID: removes one message from the mailbox.
#include "tools/cmtp/account_session.h"
#include "tools/cmtp/subcommands.h"

namespace cmtp::cli {

void DeclareDelete(CommandLine&) {}

absl::Status RunDelete(const CommandLine& line, Terminal& terminal) {
  const std::string& message_id = line.positional()[0];
  absl::StatusOr<CommonOptions> options = ResolveCommonOptions(line);
  if (!options.ok()) return options.status();
  absl::StatusOr<AccountSession> account = OpenAccountSession(*options, terminal);
  if (!account.ok()) return account.status();
  if (absl::Status deleted = account->session.Delete(message_id); !deleted.ok()) {
    return deleted;
  }
  terminal.out << "deleted " << message_id << "\n";
  return absl::OkStatus();
}

}  // namespace cmtp::cli
