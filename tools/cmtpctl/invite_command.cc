// cmtpctl invite: a one-use registration token for invite-only domains.
// The token alone goes to stdout so scripts can capture it.
#include "absl/strings/numbers.h"
#include "lib/common/errors.h"
#include "tools/cmtp/time_format.h"
#include "tools/cmtpctl/operator_commands.h"

namespace cmtp::ctl {

absl::Status CreateInvite(OperatorContext& context) {
  int64_t ttl_seconds = 0;
  if (!absl::SimpleAtoi(context.line().Get("ttl-seconds"), &ttl_seconds) ||
      ttl_seconds < 0) {
    return error::InvalidInput(
        "--ttl-seconds must be a whole number of seconds (0: default)");
  }
  absl::StatusOr<v1::KeyServer::StubInterface*> keyserver = context.KeyServer();
  if (!keyserver.ok()) return keyserver.status();
  v1::CreateInviteRequest request;
  request.set_ttl_seconds(ttl_seconds);
  v1::CreateInviteResponse response;
  const grpc::Status status =
      (*keyserver)->CreateInvite(context.NewCall().get(), request, &response);
  if (!status.ok()) return RpcFailure("CreateInvite", status);
  context.terminal().out << response.token() << "\n";
  context.terminal().err << "expires " << cli::FormatUtc(response.expires_unix_ms())
                         << "\n";
  return absl::OkStatus();
}

}  // namespace cmtp::ctl
