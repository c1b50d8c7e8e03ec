#include "services/keyserver/keyserver_service.h"

#include "lib/rpc/status.h"

namespace cmtp::keyserver {
namespace {

Registration FromProto(const cmtp::v1::RegisterRequest& request) {
  Registration registration;
  registration.account = request.account();
  registration.domain = request.domain();
  registration.public_key = request.public_key();
  registration.xzibit = request.xzibit();
  registration.login_public_key = request.login_public_key();
  registration.invite_token = request.invite_token();
  registration.signature = request.signature();
  return registration;
}

void ToProto(const KeyBlock& block, cmtp::v1::KeyBlockResponse* response) {
  response->set_key_block(block.block);
  response->set_public_key(block.public_key);
}

}  // namespace

grpc::Status KeyServerService::GetServerKey(grpc::ServerContext*,
                                            const cmtp::v1::GetServerKeyRequest*,
                                            cmtp::v1::KeyBlockResponse* response) {
  ToProto(core_.ServerKey(), response);
  return grpc::Status::OK;
}

grpc::Status KeyServerService::GetAccountKey(
    grpc::ServerContext*, const cmtp::v1::GetAccountKeyRequest* request,
    cmtp::v1::KeyBlockResponse* response) {
  absl::StatusOr<KeyBlock> block = core_.AccountKey(request->account());
  if (!block.ok()) return rpc::ToGrpcStatus(block.status());
  ToProto(*block, response);
  return grpc::Status::OK;
}

grpc::Status KeyServerService::Register(grpc::ServerContext*,
                                        const cmtp::v1::RegisterRequest* request,
                                        cmtp::v1::RegisterResponse* response) {
  absl::StatusOr<int64_t> created = core_.Register(FromProto(*request));
  if (!created.ok()) return rpc::ToGrpcStatus(created.status());
  response->set_created_unix_ms(*created);
  return grpc::Status::OK;
}

grpc::Status KeyServerService::BeginLogin(grpc::ServerContext*,
                                          const cmtp::v1::BeginLoginRequest* request,
                                          cmtp::v1::BeginLoginResponse* response) {
  absl::StatusOr<LoginStart> start =
      core_.BeginLogin(request->account(), request->peer());
  if (!start.ok()) return rpc::ToGrpcStatus(start.status());
  response->set_xzibit_version(start->xzibit_version);
  response->set_xzibit(start->xzibit);
  response->set_signature(start->signature);
  response->set_salt(start->salt);
  response->set_opslimit(start->opslimit);
  response->set_memlimit(start->memlimit);
  return grpc::Status::OK;
}

grpc::Status KeyServerService::CompleteLogin(
    grpc::ServerContext*, const cmtp::v1::CompleteLoginRequest* request,
    cmtp::v1::CompleteLoginResponse* response) {
  absl::StatusOr<SignedXzibit> released = core_.CompleteLogin(
      request->account(), request->challenge(), request->proof(), request->peer());
  if (!released.ok()) return rpc::ToGrpcStatus(released.status());
  response->set_xzibit(released->xzibit);
  response->set_signature(released->signature);
  return grpc::Status::OK;
}

grpc::Status KeyServerService::VerifyAuth(grpc::ServerContext*,
                                          const cmtp::v1::VerifyAuthRequest* request,
                                          cmtp::v1::VerifyAuthResponse*) {
  return rpc::ToGrpcStatus(
      core_.VerifyAuth(request->account(), request->challenge(), request->proof()));
}

grpc::Status KeyServerService::CreateAccount(
    grpc::ServerContext*, const cmtp::v1::CreateAccountRequest* request,
    cmtp::v1::CreateAccountResponse* response) {
  absl::StatusOr<int64_t> created =
      core_.CreateAccount(FromProto(request->registration()), request->skip_proof(),
                          request->created_unix_ms());
  if (!created.ok()) return rpc::ToGrpcStatus(created.status());
  response->set_created_unix_ms(*created);
  return grpc::Status::OK;
}

grpc::Status KeyServerService::ListAccounts(grpc::ServerContext*,
                                            const cmtp::v1::ListAccountsRequest*,
                                            cmtp::v1::ListAccountsResponse* response) {
  absl::StatusOr<std::vector<AccountRecord>> accounts = core_.ListAccounts();
  if (!accounts.ok()) return rpc::ToGrpcStatus(accounts.status());
  for (const AccountRecord& record : *accounts) {
    cmtp::v1::Account* account = response->add_accounts();
    account->set_account(record.name);
    account->set_public_key(record.public_key);
    account->set_xzibit_version(record.xzibit_version);
    account->set_created_unix_ms(record.created_ms);
    account->set_disabled(record.disabled);
  }
  return grpc::Status::OK;
}

grpc::Status KeyServerService::SetAccountDisabled(
    grpc::ServerContext*, const cmtp::v1::SetAccountDisabledRequest* request,
    cmtp::v1::SetAccountDisabledResponse*) {
  return rpc::ToGrpcStatus(
      core_.SetAccountDisabled(request->account(), request->disabled()));
}

grpc::Status KeyServerService::CreateInvite(grpc::ServerContext*,
                                            const cmtp::v1::CreateInviteRequest* request,
                                            cmtp::v1::CreateInviteResponse* response) {
  absl::StatusOr<Invite> invite = core_.CreateInvite(request->ttl_seconds());
  if (!invite.ok()) return rpc::ToGrpcStatus(invite.status());
  response->set_token(invite->token);
  response->set_expires_unix_ms(invite->expires_ms);
  return grpc::Status::OK;
}

}  // namespace cmtp::keyserver
