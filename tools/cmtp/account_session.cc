#include "tools/cmtp/account_session.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/client/password.h"
#include "lib/crypto/xzibit.h"

namespace cmtp::cli {

absl::StatusOr<AccountSession> OpenAccountSession(CommonOptions& options,
                                                  Terminal& terminal) {
  absl::StatusOr<client::Endpoint> server = options.RequireServer();
  if (!server.ok()) return server.status();
  absl::StatusOr<client::MailAddress> address = options.RequireAccount();
  if (!address.ok()) return address.status();
  absl::StatusOr<crypto::SecretBytes> password = client::ObtainPassword(
      options.password_file, absl::StrCat("Password for ", address->ToString()),
      /*confirm=*/false);
  if (!password.ok()) return password.status();

  absl::StatusOr<client::Session> session =
      client::Session::Connect(*server, options.connection);
  if (!session.ok()) return session.status();

  crypto::KeyPair identity;
  if (std::optional<std::string> xzibit = options.state.XzibitFor(address->ToString())) {
    absl::StatusOr<crypto::KeyPair> opened =
        crypto::OpenXzibit(*xzibit, password->view(), address->ToString());
    if (!opened.ok()) return opened.status();
    identity = std::move(*opened);
  } else {
    terminal.err << "no saved key pair for " << address->ToString() << " in "
                 << options.state.dir() << ": logging in\n";
    absl::StatusOr<client::LoginResult> login =
        session->Login(*address, password->view());
    if (!login.ok()) return login.status();
    if (absl::Status saved = options.state.SaveAccount(
            server->ToString(), address->ToString(), login->xzibit);
        !saved.ok()) {
      return saved;
    }
    identity = std::move(login->identity);
  }
  if (absl::Status authenticated = session->Authenticate(*address, identity);
      !authenticated.ok()) {
    return authenticated;
  }
  return AccountSession{std::move(*session), std::move(*address), std::move(identity)};
}

}  // namespace cmtp::cli
