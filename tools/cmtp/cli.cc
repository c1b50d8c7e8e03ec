#include "tools/cmtp/cli.h"

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "tools/cmtp/common_options.h"
#include "tools/cmtp/exit_codes.h"
#include "tools/cmtp/subcommands.h"

namespace cmtp::cli {
namespace {

void PrintOverview(std::ostream& out) {
  out << "usage: cmtp SUBCOMMAND [flags]\n"
         "End-to-end encrypted mail over CMTP/1.\n\nsubcommands:\n";
  for (const Subcommand& subcommand : Subcommands()) {
    out << "  " << subcommand.name << " " << subcommand.usage << "\n      "
        << subcommand.summary << "\n";
  }
  out << "\n'cmtp SUBCOMMAND --help' lists its flags. Exit codes: 0 ok, 1 refused by "
         "the\n"
         "server or network, 2 usage, 3 a cryptographic check failed.\n";
}

const Subcommand* FindSubcommand(std::string_view name) {
  for (const Subcommand& subcommand : Subcommands()) {
    if (subcommand.name == name) return &subcommand;
  }
  return nullptr;
}

int Fail(const absl::Status& status, Terminal& terminal) {
  terminal.err << "cmtp: " << status.message() << "\n";
  return ExitCodeFor(status);
}

}  // namespace

int RunCli(const std::vector<std::string>& args, Terminal& terminal) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    PrintOverview(args.empty() ? terminal.err : terminal.out);
    return args.empty() ? kExitUsage : kExitOk;
  }
  const Subcommand* subcommand = FindSubcommand(args[0]);
  if (subcommand == nullptr) {
    terminal.err << "cmtp: unknown subcommand \"" << args[0] << "\"\n";
    PrintOverview(terminal.err);
    return kExitUsage;
  }
  CommandLine line(
      absl::StrCat("cmtp ", ToAbsl(subcommand->name), " ", ToAbsl(subcommand->usage)),
      std::string(subcommand->summary));
  DeclareCommonFlags(line);
  subcommand->declare(line);
  if (absl::Status parsed = line.Parse({args.begin() + 1, args.end()}); !parsed.ok()) {
    terminal.err << "cmtp " << subcommand->name << ": " << parsed.message()
                 << "\n(see cmtp " << subcommand->name << " --help)\n";
    return kExitUsage;
  }
  if (line.help_requested()) {
    terminal.out << line.HelpText();
    return kExitOk;
  }
  const size_t positional = line.positional().size();
  if (positional < subcommand->min_positional ||
      positional > subcommand->max_positional) {
    terminal.err << "usage: cmtp " << subcommand->name << " " << subcommand->usage
                 << "\n";
    return kExitUsage;
  }
  absl::Status outcome = subcommand->run(line, terminal);
  if (!outcome.ok()) return Fail(outcome, terminal);
  return kExitOk;
}

const std::vector<Subcommand>& Subcommands() {
  static const std::vector<Subcommand> kSubcommands = {
      {"register", "--server HOST:PORT --account USER@DOMAIN [--invite TOKEN]",
       "create an account: the key pair is made and sealed here", 0, 0, DeclareRegister,
       RunRegister},
      {"send", "--to USER@DOMAIN [--subject S] [--cc ADDR]... [--attach FILE]... < text",
       "sign, encrypt and send the text read from stdin; prints the message id", 0, 0,
       DeclareSend, RunSend},
      {"inbox", "", "list your messages: id, date (UTC), size, sender", 0, 0,
       DeclareInbox, RunInbox},
      {"read", "ID [--out-dir DIR]",
       "fetch, decrypt and verify a message; attachments go to DIR (default ./ID)", 1, 1,
       DeclareRead, RunRead},
      {"delete", "ID", "delete a message from your mailbox", 1, 1, DeclareDelete,
       RunDelete},
      {"key", "USER@DOMAIN", "show a user's verified key and whether it matches its pin",
       1, 1, DeclareKey, RunKey},
      {"decrypt", "--xzibit FILE --message FILE [--account USER@DOMAIN]",
       "open a stored message offline with a sealed key pair", 0, 0, DeclareDecrypt,
       RunDecrypt},
  };
  return kSubcommands;
}

}  // namespace cmtp::cli
