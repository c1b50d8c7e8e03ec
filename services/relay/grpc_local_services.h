// LocalAccounts and LocalMailboxes over the keyserver's and the mailstore's
// gRPC APIs (blocking calls with a deadline; the relay's workers are threads).
#ifndef CMTP_SERVICES_RELAY_GRPC_LOCAL_SERVICES_H_
#define CMTP_SERVICES_RELAY_GRPC_LOCAL_SERVICES_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>

#include "cmtp/v1/keyserver.grpc.pb.h"
#include "cmtp/v1/mailstore.grpc.pb.h"
#include "services/relay/local_services.h"

namespace cmtp::relay {

class GrpcLocalAccounts : public LocalAccounts {
 public:
  GrpcLocalAccounts(std::shared_ptr<grpc::Channel> channel,
                    std::chrono::milliseconds deadline);
  absl::StatusOr<std::string> AccountKeyBlock(std::string_view account) override;

 private:
  std::unique_ptr<v1::KeyServer::Stub> stub_;
  const std::chrono::milliseconds deadline_;
};

class GrpcLocalMailboxes : public LocalMailboxes {
 public:
  GrpcLocalMailboxes(std::shared_ptr<grpc::Channel> channel,
                     std::chrono::milliseconds deadline);
  absl::Status Put(std::string_view mailbox, std::string_view message_id,
                   std::string_view message_bytes, std::string_view src_account,
                   std::string_view src_domain) override;

 private:
  std::unique_ptr<v1::MailStore::Stub> stub_;
  const std::chrono::milliseconds deadline_;
};

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_GRPC_LOCAL_SERVICES_H_
