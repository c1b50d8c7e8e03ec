// cmtpctl stats [USER]: messages and bytes per mailbox, from the mailstore.
#include "tools/cmtpctl/operator_commands.h"

namespace cmtp::ctl {

absl::Status ShowStats(OperatorContext& context, const std::string& mailbox) {
  absl::StatusOr<v1::MailStore::StubInterface*> mailstore = context.MailStore();
  if (!mailstore.ok()) return mailstore.status();
  v1::StatsRequest request;
  request.set_mailbox(mailbox.substr(0, mailbox.find('@')));
  v1::StatsResponse response;
  const grpc::Status status =
      (*mailstore)->Stats(context.NewCall().get(), request, &response);
  if (!status.ok()) return RpcFailure("Stats", status);
  uint64_t messages = 0;
  uint64_t bytes = 0;
  for (const v1::MailboxStats& stats : response.mailboxes()) {
    context.terminal().out << stats.mailbox() << "  " << stats.messages() << " messages  "
                           << stats.bytes() << " bytes\n";
    messages += stats.messages();
    bytes += stats.bytes();
  }
  context.terminal().err << response.mailboxes_size() << " mailboxes, " << messages
                         << " messages, " << bytes << " bytes\n";
  return absl::OkStatus();
}

}  // namespace cmtp::ctl
