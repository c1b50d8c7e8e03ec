#include "tools/cmtpctl/ctl_cli.h"

#include "lib/common/errors.h"
#include "lib/rpc/tls.h"
#include "tools/cmtp/command_line.h"
#include "tools/cmtp/exit_codes.h"
#include "tools/cmtpctl/operator_commands.h"

namespace cmtp::ctl {
namespace {

constexpr char kUsage[] =
    "cmtpctl COMMAND [flags]\n"
    "commands:\n"
    "  accounts list\n"
    "  accounts create USER[@DOMAIN] [--password-file F]\n"
    "  accounts disable USER | accounts enable USER\n"
    "  invite [--ttl-seconds N]\n"
    "  stats [USER]\n"
    "  import-reference DIR --domain DOMAIN\n"
    "  queue list [--domain DOMAIN] [--limit N]\n"
    "  queue show ID | queue retry [ID] | queue drop ID [--notify]\n"
    "  pins list | pins repin DOMAIN [--key HEX | --forget]\n"
    "  relay-stats\n"
    "  dev-ca --out DIR [--services a,b] [--hosts h1,h2] [--namespace NS]";

void DeclareFlags(cli::CommandLine& line) {
  Config& config = line.config();
  config.Add("keyserver", "CMTP_KEYSERVER", "", "keyserver gRPC address HOST:PORT");
  config.Add("mailstore", "CMTP_MAILSTORE", "", "mailstore gRPC address HOST:PORT");
  config.Add("relay", "CMTP_RELAY", "", "relay gRPC address HOST:PORT");
  config.Add("state-dir", "CMTP_STATE_DIR", "",
             "folder with keyserver.port, mailstore.port and relay.port (written by "
             "make run)");
  config.Add("domain", "CMTP_DOMAIN", "",
             "the keyserver's domain (import-reference; accounts create USER); queue "
             "list: only mail to this domain");
  config.Add("password-file", "CMTP_PASSWORD_FILE", "",
             "accounts create: read the password from this file's first line");
  config.Add("ttl-seconds", "", "0", "invite: lifetime (0: the keyserver's default)");
  config.Add("timeout-seconds", "CMTP_TIMEOUT_SECONDS", "30", "deadline of each call");
  config.Add("limit", "", "0", "queue list: at most this many (0: the relay's default)");
  config.Add("notify", "", "false", "queue drop: send the sender a failure notice");
  config.Add("key", "", "", "pins repin: the server key to pin, in hex");
  config.Add("forget", "", "false",
             "pins repin: forget the pin; the next contact pins anew");
  rpc::AddTlsChannelFlags(config);
  config.Add("out", "", "", "dev-ca: folder for ca.crt/ca.key and NAME.crt/NAME.key");
  config.Add("services", "", "keyserver,mailstore,relay,gateway,cmtpctl",
             "dev-ca: one certificate (server and client) per name");
  config.Add("hosts", "", "",
             "dev-ca: extra DNS names or IP addresses for every certificate");
  config.Add("namespace", "", "",
             "dev-ca: also NAME.NAMESPACE.svc[.cluster.local] in each certificate");
  config.Add("days", "", "365", "dev-ca: how long the service certificates are valid");
}

absl::Status Usage() { return error::InvalidInput(std::string("usage: ") + kUsage); }

absl::Status Dispatch(OperatorContext& context, const std::vector<std::string>& words) {
  const std::string& command = words[0];
  const size_t count = words.size();
  if (command == "accounts" && count >= 2) {
    const std::string& action = words[1];
    if (action == "list" && count == 2) return ListAccounts(context);
    if (action == "create" && count == 3) return CreateAccount(context, words[2]);
    if (action == "disable" && count == 3)
      return SetAccountDisabled(context, words[2], true);
    if (action == "enable" && count == 3)
      return SetAccountDisabled(context, words[2], false);
  }
  if (command == "invite" && count == 1) return CreateInvite(context);
  if (command == "stats" && count <= 2)
    return ShowStats(context, count == 2 ? words[1] : "");
  if (command == "import-reference" && count == 2)
    return ImportReference(context, words[1]);
  if (command == "queue" && count >= 2) {
    const std::string& action = words[1];
    if (action == "list" && count == 2) return ListQueue(context);
    if (action == "show" && count == 3) return ShowQueued(context, words[2]);
    if (action == "retry" && count <= 3)
      return RetryQueued(context, count == 3 ? words[2] : "");
    if (action == "drop" && count == 3) return DropQueued(context, words[2]);
  }
  if (command == "pins" && count >= 2) {
    if (words[1] == "list" && count == 2) return ListPins(context);
    if (words[1] == "repin" && count == 3) return Repin(context, words[2]);
  }
  if (command == "relay-stats" && count == 1) return ShowRelayStats(context);
  if (command == "dev-ca" && count == 1) return MakeDevCa(context);
  return Usage();
}

}  // namespace

int RunCtl(const std::vector<std::string>& args, cli::Terminal& terminal) {
  cli::CommandLine line(kUsage,
                        "Operator tool for the CMTP keyserver, mailstore and relay.");
  DeclareFlags(line);
  if (absl::Status parsed = line.Parse(args); !parsed.ok()) {
    terminal.err << "cmtpctl: " << parsed.message() << "\n(see cmtpctl --help)\n";
    return cli::kExitUsage;
  }
  if (line.help_requested()) {
    terminal.out << line.HelpText();
    return cli::kExitOk;
  }
  if (line.positional().empty()) {
    terminal.err << "usage: " << kUsage << "\n";
    return cli::kExitUsage;
  }
  OperatorContext context(line, terminal);
  const absl::Status outcome = Dispatch(context, line.positional());
  if (!outcome.ok()) {
    terminal.err << "cmtpctl: " << outcome.message() << "\n";
    return cli::ExitCodeFor(outcome);
  }
  return cli::kExitOk;
}

}  // namespace cmtp::ctl
