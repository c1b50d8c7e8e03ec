#include "services/gateway/put_batcher.h"

#include <utility>

namespace cmtp::gateway {

void PutCalls::Fill(Delivery& delivery, Request& request) {
  request.set_mailbox(delivery.mailbox);
  request.set_message_id(delivery.message_id);
  request.set_src_account(delivery.src_account);
  request.set_src_domain(delivery.src_domain);
  request.set_blob(std::move(delivery.blob));
}

void PutCalls::TakeBack(Delivery& delivery, Request& request) {
  delivery.blob = std::move(*request.mutable_blob());
}

MessageMeta PutCalls::FromResponse(const Response& response) {
  return FromProto(response.meta());
}

void PutCalls::StartOne(Service::Stub& stub, grpc::ClientContext* context,
                        const Request* request, Response* response, Done done) {
  stub.async()->Put(context, request, response, std::move(done));
}

void PutCalls::StartBatch(Service::Stub& stub, grpc::ClientContext* context,
                          const BatchRequest* request, BatchResponse* response,
                          Done done) {
  stub.async()->PutBatch(context, request, response, std::move(done));
}

}  // namespace cmtp::gateway
