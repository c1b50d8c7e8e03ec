#include "services/gateway/grpc_backends.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/crypto/sodium.h"
#include "lib/observability/request_id.h"
#include "lib/rpc/status.h"
#include "services/gateway/grpc_call.h"
#include "services/gateway/grpc_conversions.h"

namespace cmtp::gateway {
namespace {

namespace v1 = cmtp::v1;

KeyBlock FromProto(v1::KeyBlockResponse& response) {
  KeyBlock block;
  block.wire_bytes = std::move(*response.mutable_key_block());
  block.public_key = std::move(*response.mutable_public_key());
  return block;
}

template <typename Request, typename Response>
using CallPtr = std::shared_ptr<UnaryCall<Request, Response>>;

template <typename Request, typename Response>
CallPtr<Request, Response> NewCall() {
  return std::make_shared<UnaryCall<Request, Response>>();
}

}  // namespace

GrpcKeyDirectory::GrpcKeyDirectory(std::shared_ptr<grpc::Channel> channel,
                                   std::chrono::milliseconds deadline)
    : stub_(v1::KeyServer::NewStub(std::move(channel))), deadline_(deadline) {}

asio::awaitable<absl::StatusOr<KeyBlock>> GrpcKeyDirectory::GetServerKey() {
  auto call = NewCall<v1::GetServerKeyRequest, v1::KeyBlockResponse>();
  co_await AwaitUnaryCall(call, deadline_, [this](auto... args) {
    stub_->async()->GetServerKey(std::move(args)...);
  });
  if (!call->status.ok()) co_return CallStatus(kKeyserver, call->status);
  co_return FromProto(call->response);
}

asio::awaitable<absl::StatusOr<KeyBlock>> GrpcKeyDirectory::GetAccountKey(
    std::string account) {
  auto call = NewCall<v1::GetAccountKeyRequest, v1::KeyBlockResponse>();
  call->request.set_account(std::move(account));
  co_await AwaitUnaryCall(call, deadline_, [this](auto... args) {
    stub_->async()->GetAccountKey(std::move(args)...);
  });
  if (!call->status.ok()) co_return CallStatus(kKeyserver, call->status);
  co_return FromProto(call->response);
}

asio::awaitable<absl::Status> GrpcKeyDirectory::Register(Registration registration) {
  auto call = NewCall<v1::RegisterRequest, v1::RegisterResponse>();
  v1::RegisterRequest& request = call->request;
  request.set_account(std::move(registration.account));
  request.set_domain(std::move(registration.domain));
  request.set_public_key(std::move(registration.public_key));
  request.set_xzibit(std::move(registration.xzibit));
  request.set_login_public_key(std::move(registration.login_public_key));
  request.set_invite_token(std::move(registration.invite_token));
  request.set_signature(std::move(registration.signature));
  co_await AwaitUnaryCall(call, deadline_, [this](auto... args) {
    stub_->async()->Register(std::move(args)...);
  });
  co_return CallStatus(kKeyserver, call->status);
}

asio::awaitable<absl::StatusOr<LoginStart>> GrpcKeyDirectory::BeginLogin(
    std::string account, std::string peer) {
  auto call = NewCall<v1::BeginLoginRequest, v1::BeginLoginResponse>();
  call->request.set_account(std::move(account));
  call->request.set_peer(std::move(peer));
  co_await AwaitUnaryCall(call, deadline_, [this](auto... args) {
    stub_->async()->BeginLogin(std::move(args)...);
  });
  if (!call->status.ok()) co_return CallStatus(kKeyserver, call->status);
  v1::BeginLoginResponse& response = call->response;
  LoginStart start;
  start.xzibit_version = response.xzibit_version();
  start.xzibit = std::move(*response.mutable_xzibit());
  start.signature = std::move(*response.mutable_signature());
  start.salt = std::move(*response.mutable_salt());
  start.opslimit = response.opslimit();
  start.memlimit = response.memlimit();
  co_return start;
}

asio::awaitable<absl::StatusOr<SignedXzibit>> GrpcKeyDirectory::CompleteLogin(
    ChallengeProof proof) {
  auto call = NewCall<v1::CompleteLoginRequest, v1::CompleteLoginResponse>();
  call->request.set_account(std::move(proof.account));
  call->request.set_challenge(std::move(proof.challenge));
  call->request.set_proof(std::move(proof.proof));
  call->request.set_peer(std::move(proof.peer));
  co_await AwaitUnaryCall(call, deadline_, [this](auto... args) {
    stub_->async()->CompleteLogin(std::move(args)...);
  });
  if (!call->status.ok()) co_return CallStatus(kKeyserver, call->status);
  SignedXzibit released;
  released.xzibit = std::move(*call->response.mutable_xzibit());
  released.signature = std::move(*call->response.mutable_signature());
  co_return released;
}

asio::awaitable<absl::Status> GrpcKeyDirectory::VerifyAuth(ChallengeProof proof) {
  auto call = NewCall<v1::VerifyAuthRequest, v1::VerifyAuthResponse>();
  call->request.set_account(std::move(proof.account));
  call->request.set_challenge(std::move(proof.challenge));
  call->request.set_proof(std::move(proof.proof));
  co_await AwaitUnaryCall(call, deadline_, [this](auto... args) {
    stub_->async()->VerifyAuth(std::move(args)...);
  });
  co_return CallStatus(kKeyserver, call->status);
}

GrpcMailboxes::GrpcMailboxes(std::shared_ptr<grpc::Channel> channel,
                             std::chrono::milliseconds deadline, BatchingOptions batching)
    : stub_(v1::MailStore::NewStub(channel)),
      deadline_(deadline),
      puts_(std::move(channel), deadline, batching) {}

asio::awaitable<absl::StatusOr<MessageMeta>> GrpcMailboxes::Put(Delivery& delivery) {
  co_return co_await puts_.Call(delivery);
}

asio::awaitable<absl::StatusOr<std::vector<MessageMeta>>> GrpcMailboxes::List(
    std::string mailbox) {
  auto call = NewCall<v1::ListRequest, v1::ListResponse>();
  call->request.set_mailbox(std::move(mailbox));
  co_await AwaitUnaryCall(call, deadline_, [this](auto... args) {
    stub_->async()->List(std::move(args)...);
  });
  if (!call->status.ok()) co_return CallStatus(kMailstore, call->status);
  std::vector<MessageMeta> messages;
  messages.reserve(call->response.messages_size());
  for (const v1::MessageMeta& meta : call->response.messages()) {
    messages.push_back(FromProto(meta));
  }
  co_return messages;
}

asio::awaitable<absl::StatusOr<StoredMessage>> GrpcMailboxes::Get(
    std::string mailbox, std::string message_id) {
  auto call = NewCall<v1::GetRequest, v1::GetResponse>();
  call->request.set_mailbox(std::move(mailbox));
  call->request.set_message_id(std::move(message_id));
  co_await AwaitUnaryCall(
      call, deadline_, [this](auto... args) { stub_->async()->Get(std::move(args)...); });
  if (!call->status.ok()) co_return CallStatus(kMailstore, call->status);
  StoredMessage stored;
  stored.meta = FromProto(call->response.meta());
  stored.blob = std::move(*call->response.mutable_blob());
  co_return stored;
}

asio::awaitable<absl::Status> GrpcMailboxes::Delete(std::string mailbox,
                                                    std::string message_id) {
  auto call = NewCall<v1::DeleteRequest, v1::DeleteResponse>();
  call->request.set_mailbox(std::move(mailbox));
  call->request.set_message_id(std::move(message_id));
  co_await AwaitUnaryCall(call, deadline_, [this](auto... args) {
    stub_->async()->Delete(std::move(args)...);
  });
  co_return CallStatus(kMailstore, call->status);
}

GrpcRelay::GrpcRelay(std::shared_ptr<grpc::Channel> channel,
                     std::chrono::milliseconds deadline, BatchingOptions batching)
    : stub_(v1::Relay::NewStub(channel)),
      deadline_(deadline),
      enqueues_(std::move(channel), deadline, batching) {}

asio::awaitable<absl::StatusOr<EnqueueReceipt>> GrpcRelay::Enqueue(OutboundMail& mail) {
  co_return co_await enqueues_.Call(mail);
}

asio::awaitable<absl::StatusOr<ForeignKey>> GrpcRelay::FetchKey(std::string domain,
                                                                std::string account) {
  auto call = NewCall<v1::FetchKeyRequest, v1::FetchKeyResponse>();
  call->request.set_domain(std::move(domain));
  call->request.set_account(std::move(account));
  co_await AwaitUnaryCall(call, deadline_, [this](auto... args) {
    stub_->async()->FetchKey(std::move(args)...);
  });
  if (!call->status.ok()) co_return CallStatus(kRelay, call->status);
  ForeignKey key;
  key.public_key = std::move(*call->response.mutable_public_key());
  key.server_public_key = std::move(*call->response.mutable_server_public_key());
  if (key.public_key.size() != crypto::kPublicKeySize) {
    co_return error::Unavailable(
        absl::StrCat("relay returned a ", key.public_key.size(), "-byte key"));
  }
  co_return key;
}

}  // namespace cmtp::gateway
