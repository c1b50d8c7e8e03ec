// KeyDirectory, Mailboxes and Relay over the keyserver's, the mailstore's
// and the relay's gRPC APIs (protos/cmtp/v1), using gRPC's callback API: no thread waits
// on a call. Each call has a deadline, so a stalled service turns into a FAILURE for the
// client instead of a hung session.
#ifndef CMTP_SERVICES_GATEWAY_GRPC_BACKENDS_H_
#define CMTP_SERVICES_GATEWAY_GRPC_BACKENDS_H_

#include <grpcpp/channel.h>

#include <chrono>
#include <memory>

#include "cmtp/v1/keyserver.grpc.pb.h"
#include "cmtp/v1/mailstore.grpc.pb.h"
#include "cmtp/v1/relay.grpc.pb.h"
#include "services/gateway/backends.h"
#include "services/gateway/enqueue_batcher.h"
#include "services/gateway/put_batcher.h"

namespace cmtp::gateway {

class GrpcKeyDirectory : public KeyDirectory {
 public:
  GrpcKeyDirectory(std::shared_ptr<grpc::Channel> channel,
                   std::chrono::milliseconds deadline);

  asio::awaitable<absl::StatusOr<KeyBlock>> GetServerKey() override;
  asio::awaitable<absl::StatusOr<KeyBlock>> GetAccountKey(std::string account) override;
  asio::awaitable<absl::Status> Register(Registration registration) override;
  asio::awaitable<absl::StatusOr<LoginStart>> BeginLogin(std::string account,
                                                         std::string peer) override;
  asio::awaitable<absl::StatusOr<SignedXzibit>> CompleteLogin(
      ChallengeProof proof) override;
  asio::awaitable<absl::Status> VerifyAuth(ChallengeProof proof) override;

 private:
  std::unique_ptr<cmtp::v1::KeyServer::Stub> stub_;
  std::chrono::milliseconds deadline_;
};

class GrpcMailboxes : public Mailboxes {
 public:
  // Puts are grouped as `batching` says (put_batcher.h).
  GrpcMailboxes(std::shared_ptr<grpc::Channel> channel,
                std::chrono::milliseconds deadline,
                BatchingOptions batching = BatchingOptions());

  asio::awaitable<absl::StatusOr<MessageMeta>> Put(Delivery& delivery) override;
  asio::awaitable<absl::StatusOr<std::vector<MessageMeta>>> List(
      std::string mailbox) override;
  asio::awaitable<absl::StatusOr<StoredMessage>> Get(std::string mailbox,
                                                     std::string message_id) override;
  asio::awaitable<absl::Status> Delete(std::string mailbox,
                                       std::string message_id) override;

 private:
  std::unique_ptr<cmtp::v1::MailStore::Stub> stub_;
  std::chrono::milliseconds deadline_;
  PutBatcher puts_;
};

class GrpcRelay : public Relay {
 public:
  // Enqueues are grouped as `batching` says (enqueue_batcher.h).
  GrpcRelay(std::shared_ptr<grpc::Channel> channel, std::chrono::milliseconds deadline,
            BatchingOptions batching = BatchingOptions());

  asio::awaitable<absl::StatusOr<EnqueueReceipt>> Enqueue(OutboundMail& mail) override;
  asio::awaitable<absl::StatusOr<ForeignKey>> FetchKey(std::string domain,
                                                       std::string account) override;

 private:
  std::unique_ptr<cmtp::v1::Relay::Stub> stub_;
  std::chrono::milliseconds deadline_;
  EnqueueBatcher enqueues_;
};

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_GRPC_BACKENDS_H_
