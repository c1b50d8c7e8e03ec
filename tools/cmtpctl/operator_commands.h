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

// The relay's outbound queue (queue_commands.cc). `domain` empty: all.
absl::Status ListQueue(OperatorContext& context);
absl::Status ShowQueued(OperatorContext& context, const std::string& message_id);
// `message_id` empty: every queued message.
absl::Status RetryQueued(OperatorContext& context, const std::string& message_id);
// --notify sends the sender a failure notice.
absl::Status DropQueued(OperatorContext& context, const std::string& message_id);

// The pinned server keys of other domains (pin_commands.cc).
absl::Status ListPins(OperatorContext& context);
// Pins --key HEX, forgets the pin with --forget, or else pins the key the
// domain last presented and was refused for.
absl::Status Repin(OperatorContext& context, const std::string& domain);

// The relay's figures in Prometheus' text format (relay_stats_command.cc).
absl::Status ShowRelayStats(OperatorContext& context);

// A development CA and per-service TLS certificates (dev_ca_command.cc).
absl::Status MakeDevCa(OperatorContext& context);

}  // namespace cmtp::ctl

#endif  // CMTP_TOOLS_CMTPCTL_OPERATOR_COMMANDS_H_
