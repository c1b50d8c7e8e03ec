// cmtpctl queue list|show|retry|drop: the relay's outbound queue.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "tools/cmtp/time_format.h"
#include "tools/cmtpctl/operator_commands.h"

namespace cmtp::ctl {
namespace {

std::string Route(const v1::QueuedMessage& message) {
  return absl::StrCat(message.src_account(), "@", message.src_domain(), " -> ",
                      message.dst_account(), "@", message.dst_domain());
}

std::string When(int64_t unix_ms) { return unix_ms > 0 ? cli::FormatUtc(unix_ms) : "-"; }

}  // namespace

absl::Status ListQueue(OperatorContext& context) {
  absl::StatusOr<v1::Relay::StubInterface*> relay = context.Relay();
  if (!relay.ok()) return relay.status();
  uint32_t limit = 0;
  if (!absl::SimpleAtoi(context.line().Get("limit"), &limit)) {
    return error::InvalidInput("--limit must be a number");
  }
  v1::ListQueueRequest request;
  request.set_domain(context.line().Get("domain"));
  request.set_limit(limit);
  v1::ListQueueResponse response;
  const grpc::Status status =
      (*relay)->ListQueue(context.NewCall().get(), request, &response);
  if (!status.ok()) return RpcFailure("ListQueue", status);
  std::ostream& out = context.terminal().out;
  for (const v1::QueuedMessage& message : response.messages()) {
    out << message.message_id() << "  " << Route(message) << "  " << message.size()
        << " bytes  attempts " << message.attempts() << "  next "
        << When(message.next_attempt_unix_ms());
    if (!message.last_error().empty()) out << "  last error: " << message.last_error();
    out << "\n";
  }
  context.terminal().err << response.messages_size() << " listed, " << response.depth()
                         << " queued\n";
  return absl::OkStatus();
}

absl::Status ShowQueued(OperatorContext& context, const std::string& message_id) {
  absl::StatusOr<v1::Relay::StubInterface*> relay = context.Relay();
  if (!relay.ok()) return relay.status();
  v1::GetQueuedRequest request;
  request.set_message_id(message_id);
  v1::QueuedMessage message;
  const grpc::Status status =
      (*relay)->GetQueued(context.NewCall().get(), request, &message);
  if (!status.ok()) return RpcFailure("GetQueued", status);
  context.terminal().out << "id: " << message.message_id() << "\n"
                         << "from: " << message.src_account() << "@"
                         << message.src_domain() << "\n"
                         << "to: " << message.dst_account() << "@" << message.dst_domain()
                         << "\n"
                         << "size: " << message.size() << "\n"
                         << "queued: " << When(message.queued_unix_ms()) << "\n"
                         << "attempts: " << message.attempts() << "\n"
                         << "next attempt: " << When(message.next_attempt_unix_ms())
                         << "\n"
                         << "last error: " << message.last_error() << "\n";
  return absl::OkStatus();
}

absl::Status RetryQueued(OperatorContext& context, const std::string& message_id) {
  absl::StatusOr<v1::Relay::StubInterface*> relay = context.Relay();
  if (!relay.ok()) return relay.status();
  v1::RetryNowRequest request;
  request.set_message_id(message_id);
  v1::RetryNowResponse response;
  const grpc::Status status =
      (*relay)->RetryNow(context.NewCall().get(), request, &response);
  if (!status.ok()) return RpcFailure("RetryNow", status);
  context.terminal().out << "rescheduled " << response.rescheduled() << "\n";
  return absl::OkStatus();
}

absl::Status DropQueued(OperatorContext& context, const std::string& message_id) {
  absl::StatusOr<v1::Relay::StubInterface*> relay = context.Relay();
  if (!relay.ok()) return relay.status();
  absl::StatusOr<bool> notify = context.line().GetBool("notify");
  if (!notify.ok()) return notify.status();
  v1::DropRequest request;
  request.set_message_id(message_id);
  request.set_notify_sender(*notify);
  v1::DropResponse response;
  const grpc::Status status = (*relay)->Drop(context.NewCall().get(), request, &response);
  if (!status.ok()) return RpcFailure("Drop", status);
  context.terminal().out << "dropped " << message_id
                         << (*notify ? " (the sender gets a failure notice)" : "")
                         << "\n";
  return absl::OkStatus();
}

}  // namespace cmtp::ctl
