// The gateway's Puts to the mailstore, grouped into PutBatch calls
// (call_batcher.h).
#ifndef CMTP_SERVICES_GATEWAY_PUT_BATCHER_H_
#define CMTP_SERVICES_GATEWAY_PUT_BATCHER_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "cmtp/v1/mailstore.grpc.pb.h"
#include "services/gateway/backends.h"
#include "services/gateway/call_batcher.h"
#include "services/gateway/grpc_conversions.h"

namespace cmtp::gateway {

struct PutCalls {
  using Service = cmtp::v1::MailStore;
  using Item = Delivery;
  using Result = MessageMeta;
  using Request = cmtp::v1::PutRequest;
  using Response = cmtp::v1::PutResponse;
  using BatchRequest = cmtp::v1::PutBatchRequest;
  using BatchResponse = cmtp::v1::PutBatchResponse;
  using Done = std::function<void(grpc::Status)>;
  static constexpr std::string_view kService = kMailstore;

  // The blob is borrowed (Delivery::blob) and moved back by TakeBack.
  static void Fill(Delivery& delivery, Request& request);
  static void TakeBack(Delivery& delivery, Request& request);
  static int64_t Bytes(const Delivery& delivery) {
    return static_cast<int64_t>(delivery.blob.size());
  }
  static const std::string& RequestId(const Delivery& delivery) {
    return delivery.request_id;
  }
  static auto& Requests(BatchRequest& batch) { return *batch.mutable_puts(); }
  static MessageMeta FromResponse(const Response& response);
  static void StartOne(Service::Stub& stub, grpc::ClientContext* context,
                       const Request* request, Response* response, Done done);
  static void StartBatch(Service::Stub& stub, grpc::ClientContext* context,
                         const BatchRequest* request, BatchResponse* response, Done done);
};

using PutBatcher = CallBatcher<PutCalls>;

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_PUT_BATCHER_H_
