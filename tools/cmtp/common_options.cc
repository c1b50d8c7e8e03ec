#include "tools/cmtp/common_options.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"

namespace cmtp::cli {

void DeclareCommonFlags(CommandLine& line) {
  Config& config = line.config();
  config.Add("server", "CMTP_SERVER", "",
             "HOST:PORT of your CMTP server ([::1]:9001 for IPv6; default port 9001); "
             "defaults to the one saved by register/login");
  config.Add("account", "CMTP_ACCOUNT", "",
             "your address USER@DOMAIN; defaults to the one saved by register/login");
  config.Add(
      "password-file", "CMTP_PASSWORD_FILE", "",
      "read the password from the first line of this file instead of the terminal");
  config.Add("state-dir", "CMTP_CLIENT_DIR", ClientState::DefaultDir(),
             "folder keeping the server, account, sealed key pair and pinned keys");
  config.Add("timeout-seconds", "CMTP_TIMEOUT_SECONDS", "30",
             "give up on a silent server after this many seconds");
  config.Add("accept-new-key", "", "false",
             "accept and pin a correspondent's key that differs from its pin");
}

absl::StatusOr<client::Endpoint> CommonOptions::RequireServer() const {
  if (!server.has_value()) {
    return error::InvalidInput(
        "no server: pass --server HOST:PORT (saved after register or the first login)");
  }
  return *server;
}

absl::StatusOr<client::MailAddress> CommonOptions::RequireAccount() const {
  if (!account.has_value()) {
    return error::InvalidInput(
        "no account: pass --account USER@DOMAIN (saved after register or the first "
        "login)");
  }
  return *account;
}

absl::StatusOr<CommonOptions> ResolveCommonOptions(const CommandLine& line) {
  absl::StatusOr<ClientState> state = ClientState::Load(line.Get("state-dir"));
  if (!state.ok()) return state.status();
  CommonOptions options(std::move(*state));

  std::string server = line.Get("server");
  if (server.empty() && options.state.server().has_value()) {
    server = *options.state.server();
  }
  if (!server.empty()) {
    absl::StatusOr<client::Endpoint> endpoint = client::ParseEndpoint(server);
    if (!endpoint.ok()) return endpoint.status();
    options.server = std::move(*endpoint);
  }

  std::string account = line.Get("account");
  if (account.empty() && options.state.account().has_value()) {
    account = *options.state.account();
  }
  if (!account.empty()) {
    absl::StatusOr<client::MailAddress> address = client::ParseMailAddress(account);
    if (!address.ok()) return address.status();
    options.account = std::move(*address);
  }

  options.password_file = line.Get("password-file");
  int64_t timeout_seconds = 0;
  if (!absl::SimpleAtoi(line.Get("timeout-seconds"), &timeout_seconds) ||
      timeout_seconds <= 0 || timeout_seconds > 86400) {
    return error::InvalidInput("--timeout-seconds must be an integer in 1..86400");
  }
  options.connection.connect_timeout = std::chrono::seconds(timeout_seconds);
  options.connection.io_timeout = std::chrono::seconds(timeout_seconds);
  absl::StatusOr<bool> accept = line.GetBool("accept-new-key");
  if (!accept.ok()) return accept.status();
  options.accept_new_key = *accept;
  return options;
}

}  // namespace cmtp::cli
