// cmtp key USER@DOMAIN: asks our server for a user's key (any domain; the
// server fetches foreign keys itself), checks the server's signature, and
// compares it with the pin. No password needed: keys are public.
#include "lib/client/session.h"
#include "lib/crypto/sodium.h"
#include "tools/cmtp/common_options.h"
#include "tools/cmtp/key_trust.h"
#include "tools/cmtp/subcommands.h"

namespace cmtp::cli {

void DeclareKey(CommandLine&) {}

absl::Status RunKey(const CommandLine& line, Terminal& terminal) {
  absl::StatusOr<client::MailAddress> address =
      client::ParseMailAddress(line.positional()[0]);
  if (!address.ok()) return address.status();
  absl::StatusOr<CommonOptions> options = ResolveCommonOptions(line);
  if (!options.ok()) return options.status();
  absl::StatusOr<client::Endpoint> server = options->RequireServer();
  if (!server.ok()) return server.status();
  absl::StatusOr<PinStore> pins = PinStore::Load(options->state.PinsPath());
  if (!pins.ok()) return pins.status();

  absl::StatusOr<client::Session> session =
      client::Session::Connect(*server, options->connection);
  if (!session.ok()) return session.status();
  absl::StatusOr<std::string> key =
      session->KeyRequest(address->account, address->domain);
  if (!key.ok()) return key.status();
  terminal.out << crypto::ToHex(*key) << "\n";
  absl::StatusOr<PinStatus> pin =
      TrustKey(*pins, address->ToString(), *key, options->accept_new_key, terminal.err);
  if (!pin.ok()) {
    terminal.out << "pin: CHANGED (differs from the pinned key)\n";
    return pin.status();
  }
  switch (*pin) {
    case PinStatus::kMatches:
      terminal.out << "pin: matches\n";
      break;
    case PinStatus::kNew:
      terminal.out << "pin: new (pinned now)\n";
      break;
    case PinStatus::kChanged:
      terminal.out << "pin: replaced (--accept-new-key)\n";
      break;
  }
  return absl::OkStatus();
}

}  // namespace cmtp::cli
