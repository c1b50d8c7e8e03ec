// The cmtpctl commands, one file each; ctl_cli.cc dispatches on the
// positional words.
#ifndef CMTP_TOOLS_CMTPCTL_OPERATOR_COMMANDS_H_
#define CMTP_TOOLS_CMTPCTL_OPERATOR_COMMANDS_H_

#include "absl/status/status.h"
#include "tools/cmtpctl/operator_context.h"

namespace cmtp::ctl {

absl::Status ListAccounts(OperatorContext& context);
// `who` is USER@DOMAIN, or USER with --domain.
absl::Status CreateAccount(OperatorContext& context, const std::string& who);
absl::Status SetAccountDisabled(OperatorContext& context, const std::string& user,
                                bool disabled);
absl::Status CreateInvite(OperatorContext& context);
// `mailbox` empty: every mailbox.
absl::Status ShowStats(OperatorContext& context, const std::string& mailbox);
absl::Status ImportReference(OperatorContext& context, const std::string& dir);

}  // namespace cmtp::ctl

#endif  // CMTP_TOOLS_CMTPCTL_OPERATOR_COMMANDS_H_
