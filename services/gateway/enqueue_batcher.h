// The gateway's Enqueues to the relay, grouped into EnqueueBatch calls
// (call_batcher.h): the relay stores a group with one queue write.
#ifndef CMTP_SERVICES_GATEWAY_ENQUEUE_BATCHER_H_
#define CMTP_SERVICES_GATEWAY_ENQUEUE_BATCHER_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "cmtp/v1/relay.grpc.pb.h"
#include "services/gateway/backends.h"
#include "services/gateway/call_batcher.h"
#include "services/gateway/grpc_conversions.h"

namespace cmtp::gateway {

struct EnqueueCalls {
  using Service = cmtp::v1::Relay;
  using Item = OutboundMail;
  using Result = EnqueueReceipt;
  using Request = cmtp::v1::EnqueueRequest;
  using Response = cmtp::v1::EnqueueResponse;
  using BatchRequest = cmtp::v1::EnqueueBatchRequest;
  using BatchResponse = cmtp::v1::EnqueueBatchResponse;
  using Done = std::function<void(grpc::Status)>;
  static constexpr std::string_view kService = kRelay;

  // The message bytes are borrowed (OutboundMail::message) and moved back by
  // TakeBack.
  static void Fill(OutboundMail& mail, Request& request);
  static void TakeBack(OutboundMail& mail, Request& request);
  static int64_t Bytes(const OutboundMail& mail) {
    return static_cast<int64_t>(mail.message.size());
  }
  static const std::string& RequestId(const OutboundMail& mail) {
    return mail.request_id;
  }
  static auto& Requests(BatchRequest& batch) { return *batch.mutable_enqueues(); }
  static EnqueueReceipt FromResponse(const Response& response);
  static void StartOne(Service::Stub& stub, grpc::ClientContext* context,
                       const Request* request, Response* response, Done done);
  static void StartBatch(Service::Stub& stub, grpc::ClientContext* context,
                         const BatchRequest* request, BatchResponse* response, Done done);
};

using EnqueueBatcher = CallBatcher<EnqueueCalls>;

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_ENQUEUE_BATCHER_H_
