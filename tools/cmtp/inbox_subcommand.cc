// cmtp inbox: one line per message, oldest first: id, arrival date (UTC),
// size in bytes, sender (as the envelope names it).
#include "tools/cmtp/account_session.h"
#include "tools/cmtp/subcommands.h"
#include "tools/cmtp/time_format.h"

namespace cmtp::cli {

void DeclareInbox(CommandLine&) {}

absl::Status RunInbox(const CommandLine& line, Terminal& terminal) {
  absl::StatusOr<CommonOptions> options = ResolveCommonOptions(line);
  if (!options.ok()) return options.status();
  absl::StatusOr<AccountSession> account = OpenAccountSession(*options, terminal);
  if (!account.ok()) return account.status();
  absl::StatusOr<std::vector<wire::ListEntry>> entries = account->session.List();
  if (!entries.ok()) return entries.status();
  for (const wire::ListEntry& entry : *entries) {
    terminal.out << entry.message_id << "  "
                 << FormatUtc(static_cast<int64_t>(entry.arrival_unix_ms)) << "  "
                 << entry.size << "  " << entry.src_account << "@" << entry.src_domain
                 << "\n";
  }
  terminal.err << entries->size() << (entries->size() == 1 ? " message" : " messages")
               << " for " << account->address.ToString() << "\n";
  return absl::OkStatus();
}

}  // namespace cmtp::cli
