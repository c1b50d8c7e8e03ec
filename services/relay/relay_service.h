// The gRPC face of the relay (cmtp.v1.Relay): each handler unpacks the
// request, calls RelayCore, and converts the status.
#ifndef CMTP_SERVICES_RELAY_RELAY_SERVICE_H_
#define CMTP_SERVICES_RELAY_RELAY_SERVICE_H_

#include "cmtp/v1/relay.grpc.pb.h"
#include "services/relay/relay_core.h"

namespace cmtp::relay {

class RelayService final : public v1::Relay::Service {
 public:
  // `core` must outlive the service.
  explicit RelayService(RelayCore& core) : core_(core) {}

  grpc::Status Enqueue(grpc::ServerContext* context, const v1::EnqueueRequest* request,
                       v1::EnqueueResponse* response) override;
  grpc::Status EnqueueBatch(grpc::ServerContext* context,
                            const v1::EnqueueBatchRequest* request,
                            v1::EnqueueBatchResponse* response) override;
  grpc::Status FetchKey(grpc::ServerContext* context, const v1::FetchKeyRequest* request,
                        v1::FetchKeyResponse* response) override;
  grpc::Status ListQueue(grpc::ServerContext* context,
                         const v1::ListQueueRequest* request,
                         v1::ListQueueResponse* response) override;
  grpc::Status GetQueued(grpc::ServerContext* context,
                         const v1::GetQueuedRequest* request,
                         v1::QueuedMessage* response) override;
  grpc::Status RetryNow(grpc::ServerContext* context, const v1::RetryNowRequest* request,
                        v1::RetryNowResponse* response) override;
  grpc::Status Drop(grpc::ServerContext* context, const v1::DropRequest* request,
                    v1::DropResponse* response) override;
  grpc::Status ListPins(grpc::ServerContext* context, const v1::ListPinsRequest* request,
                        v1::ListPinsResponse* response) override;
  grpc::Status Repin(grpc::ServerContext* context, const v1::RepinRequest* request,
                     v1::RepinResponse* response) override;
  grpc::Status Stats(grpc::ServerContext* context, const v1::RelayStatsRequest* request,
                     v1::RelayStatsResponse* response) override;

 private:
  RelayCore& core_;
};

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_RELAY_SERVICE_H_
