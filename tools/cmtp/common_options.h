// The flags every `cmtp` subcommand shares, resolved against the state
// folder: an explicit flag wins, then its environment variable, then what
// the last register/login saved.
#ifndef CMTP_TOOLS_CMTP_COMMON_OPTIONS_H_
#define CMTP_TOOLS_CMTP_COMMON_OPTIONS_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "lib/client/connection.h"
#include "lib/client/endpoint.h"
#include "lib/client/mail_address.h"
#include "tools/cmtp/client_state.h"
#include "tools/cmtp/command_line.h"

namespace cmtp::cli {

// --server, --account, --password-file, --state-dir, --timeout-seconds,
// --accept-new-key.
void DeclareCommonFlags(CommandLine& line);

struct CommonOptions {
  explicit CommonOptions(ClientState loaded) : state(std::move(loaded)) {}

  ClientState state;
  std::optional<client::Endpoint> server;
  std::optional<client::MailAddress> account;
  std::string password_file;
  client::ConnectionOptions connection;
  bool accept_new_key = false;

  // InvalidArgument with a hint when unknown.
  absl::StatusOr<client::Endpoint> RequireServer() const;
  absl::StatusOr<client::MailAddress> RequireAccount() const;
};

absl::StatusOr<CommonOptions> ResolveCommonOptions(const CommandLine& line);

}  // namespace cmtp::cli

#endif  // CMTP_TOOLS_CMTP_COMMON_OPTIONS_H_
