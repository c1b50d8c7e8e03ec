// cmtp register: the identity key pair is generated here, sealed with the
// password as a v2 xzibit, and only the public key, the login key and the
// sealed pair go to the server, with a proof that we hold the key.
#include "absl/strings/str_cat.h"
#include "lib/client/new_account.h"
#include "lib/client/password.h"
#include "lib/client/session.h"
#include "lib/crypto/xzibit.h"
#include "tools/cmtp/common_options.h"
#include "tools/cmtp/subcommands.h"

namespace cmtp::cli {

void DeclareRegister(CommandLine& line) {
  line.config().Add(
      "invite", "CMTP_INVITE", "",
      "invite token from the operator (domains with invite-only registration)");
}

absl::Status RunRegister(const CommandLine& line, Terminal& terminal) {
  absl::StatusOr<CommonOptions> options = ResolveCommonOptions(line);
  if (!options.ok()) return options.status();
  absl::StatusOr<client::Endpoint> server = options->RequireServer();
  if (!server.ok()) return server.status();
  absl::StatusOr<client::MailAddress> address = options->RequireAccount();
  if (!address.ok()) return address.status();
  absl::StatusOr<crypto::SecretBytes> password = client::ObtainPassword(
      options->password_file, absl::StrCat("New password for ", address->ToString()),
      /*confirm=*/true);
  if (!password.ok()) return password.status();

  // Connect first: a wrong address should not cost a key derivation.
  absl::StatusOr<client::Session> session =
      client::Session::Connect(*server, options->connection);
  if (!session.ok()) return session.status();
  terminal.err << "sealing a new key pair for " << address->ToString() << "...\n";
  absl::StatusOr<client::NewAccount> account = client::MakeNewAccount(
      *address, password->view(), crypto::KdfCostFromEnvironment());
  if (!account.ok()) return account.status();
  if (absl::Status registered = session->Register(*address, line.Get("invite"), *account);
      !registered.ok()) {
    return registered;
  }
  if (absl::Status saved = options->state.SaveAccount(
          server->ToString(), address->ToString(), account->xzibit);
      !saved.ok()) {
    return saved;
  }
  terminal.out << "registered " << address->ToString() << "\n";
  terminal.err << "public key " << crypto::ToHex(account->identity.public_key)
               << "; state saved in " << options->state.dir() << "\n";
  return absl::OkStatus();
}

}  // namespace cmtp::cli
