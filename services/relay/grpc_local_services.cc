#include "services/relay/grpc_local_services.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/strings.h"
#include "lib/rpc/status.h"

namespace cmtp::relay {
namespace {

// Our own services are worth waiting for (a restart, a reconnect backoff):
// the callers are background workers, and the deadline bounds the wait.
void SetDeadline(grpc::ClientContext& context, std::chrono::milliseconds deadline) {
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  context.set_wait_for_ready(true);
}

// The callee's status, its message prefixed with who answered; NotFound and
// the other codes stay as they are so the caller can tell them apart.
absl::Status CallStatus(std::string_view service, const grpc::Status& status) {
  const absl::Status converted = rpc::FromGrpcStatus(status);
  if (converted.ok()) return converted;
  return absl::Status(converted.code(),
                      absl::StrCat(ToAbsl(service), ": ", converted.message()));
}

}  // namespace

GrpcLocalAccounts::GrpcLocalAccounts(std::shared_ptr<grpc::Channel> channel,
                                     std::chrono::milliseconds deadline)
    : stub_(v1::KeyServer::NewStub(std::move(channel))), deadline_(deadline) {}

absl::StatusOr<std::string> GrpcLocalAccounts::AccountKeyBlock(std::string_view account) {
  grpc::ClientContext context;
  SetDeadline(context, deadline_);
  v1::GetAccountKeyRequest request;
  request.set_account(std::string(account));
  v1::KeyBlockResponse response;
  const grpc::Status status = stub_->GetAccountKey(&context, request, &response);
  if (!status.ok()) return CallStatus("keyserver", status);
  return std::move(*response.mutable_key_block());
}

GrpcLocalMailboxes::GrpcLocalMailboxes(std::shared_ptr<grpc::Channel> channel,
                                       std::chrono::milliseconds deadline)
    : stub_(v1::MailStore::NewStub(std::move(channel))), deadline_(deadline) {}

absl::Status GrpcLocalMailboxes::Put(std::string_view mailbox,
                                     std::string_view message_id,
                                     std::string_view message_bytes,
                                     std::string_view src_account,
                                     std::string_view src_domain) {
  grpc::ClientContext context;
  SetDeadline(context, deadline_);
  v1::PutRequest request;
  request.set_mailbox(std::string(mailbox));
  request.set_message_id(std::string(message_id));
  request.set_blob(std::string(message_bytes));
  request.set_src_account(std::string(src_account));
  request.set_src_domain(std::string(src_domain));
  v1::PutResponse response;
  return CallStatus("mailstore", stub_->Put(&context, request, &response));
}

}  // namespace cmtp::relay
