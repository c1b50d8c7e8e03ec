#include "services/gateway/enqueue_batcher.h"

#include <utility>

namespace cmtp::gateway {

void EnqueueCalls::Fill(OutboundMail& mail, Request& request) {
  request.set_message_id(mail.message_id);
  request.set_dst_account(mail.dst_account);
  request.set_dst_domain(mail.dst_domain);
  request.set_src_account(mail.src_account);
  request.set_src_domain(mail.src_domain);
  // In the request as well as the call's metadata: in a batch, the call
  // carries only the first message's id.
  request.set_request_id(mail.request_id);
  request.set_message(std::move(mail.message));
}

void EnqueueCalls::TakeBack(OutboundMail& mail, Request& request) {
  mail.message = std::move(*request.mutable_message());
}

EnqueueReceipt EnqueueCalls::FromResponse(const Response& response) {
  EnqueueReceipt receipt;
  receipt.duplicate = response.duplicate();
  receipt.queued_unix_ms = response.queued_unix_ms();
  return receipt;
}

void EnqueueCalls::StartOne(Service::Stub& stub, grpc::ClientContext* context,
                            const Request* request, Response* response, Done done) {
  stub.async()->Enqueue(context, request, response, std::move(done));
}

void EnqueueCalls::StartBatch(Service::Stub& stub, grpc::ClientContext* context,
                              const BatchRequest* request, BatchResponse* response,
                              Done done) {
  stub.async()->EnqueueBatch(context, request, response, std::move(done));
}

}  // namespace cmtp::gateway
