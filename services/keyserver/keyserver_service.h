// cmtp.v1.KeyServer over gRPC: each RPC converts its request, calls
// KeyServerCore and converts the answer; errors pass through
// rpc::ToGrpcStatus unchanged.
#ifndef CMTP_SERVICES_KEYSERVER_KEYSERVER_SERVICE_H_
#define CMTP_SERVICES_KEYSERVER_KEYSERVER_SERVICE_H_

#include "cmtp/v1/keyserver.grpc.pb.h"
#include "services/keyserver/keyserver_core.h"

namespace cmtp::keyserver {

class KeyServerService final : public cmtp::v1::KeyServer::Service {
 public:
  explicit KeyServerService(KeyServerCore& core) : core_(core) {}

  grpc::Status GetServerKey(grpc::ServerContext* context,
                            const cmtp::v1::GetServerKeyRequest* request,
                            cmtp::v1::KeyBlockResponse* response) override;
  grpc::Status GetAccountKey(grpc::ServerContext* context,
                             const cmtp::v1::GetAccountKeyRequest* request,
                             cmtp::v1::KeyBlockResponse* response) override;
  grpc::Status Register(grpc::ServerContext* context,
                        const cmtp::v1::RegisterRequest* request,
                        cmtp::v1::RegisterResponse* response) override;
  grpc::Status BeginLogin(grpc::ServerContext* context,
                          const cmtp::v1::BeginLoginRequest* request,
                          cmtp::v1::BeginLoginResponse* response) override;
  grpc::Status CompleteLogin(grpc::ServerContext* context,
                             const cmtp::v1::CompleteLoginRequest* request,
                             cmtp::v1::CompleteLoginResponse* response) override;
  grpc::Status VerifyAuth(grpc::ServerContext* context,
                          const cmtp::v1::VerifyAuthRequest* request,
                          cmtp::v1::VerifyAuthResponse* response) override;
  grpc::Status CreateAccount(grpc::ServerContext* context,
                             const cmtp::v1::CreateAccountRequest* request,
                             cmtp::v1::CreateAccountResponse* response) override;
  grpc::Status ListAccounts(grpc::ServerContext* context,
                            const cmtp::v1::ListAccountsRequest* request,
                            cmtp::v1::ListAccountsResponse* response) override;
  grpc::Status SetAccountDisabled(
      grpc::ServerContext* context, const cmtp::v1::SetAccountDisabledRequest* request,
      cmtp::v1::SetAccountDisabledResponse* response) override;
  grpc::Status CreateInvite(grpc::ServerContext* context,
                            const cmtp::v1::CreateInviteRequest* request,
                            cmtp::v1::CreateInviteResponse* response) override;

 private:
  KeyServerCore& core_;
};

}  // namespace cmtp::keyserver

#endif  // CMTP_SERVICES_KEYSERVER_KEYSERVER_SERVICE_H_
