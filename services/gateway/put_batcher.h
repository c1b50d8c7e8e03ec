// The gateway's Puts to the mailstore, grouped: while `max_in_flight` calls
// are out, the messages that arrive on every session wait, and the next call
// to go (when one returns) carries all of them (PutBatch: one gRPC call, one
// Redis script, one fsync for the lot). With few sessions there is nothing to
// wait for and each message goes alone at once; under load a call and its
// fsync are shared by several messages instead of paid by each
// (docs/performance.md, "grouped puts").
//
// Each message still completes on its own, only once it is durable, with its
// own outcome: the mailstore answers each put of a batch separately. A
// mailstore too old to know PutBatch (UNIMPLEMENTED, during a rolling update)
// gets one Put per message from then on.
#ifndef CMTP_SERVICES_GATEWAY_PUT_BATCHER_H_
#define CMTP_SERVICES_GATEWAY_PUT_BATCHER_H_

#include <grpcpp/channel.h>

#include <asio/awaitable.hpp>
#include <chrono>
#include <memory>

#include "absl/status/statusor.h"
#include "cmtp/v1/mailstore.grpc.pb.h"
#include "services/gateway/backends.h"
#include "services/gateway/put_batching_options.h"

namespace cmtp::gateway {

class PutBatcher {
 public:
  PutBatcher(std::shared_ptr<grpc::Channel> channel, std::chrono::milliseconds deadline,
             PutBatchingOptions options);
  ~PutBatcher();

  // As Mailboxes::Put: completes once the message is durable, with the
  // blob handed back to `delivery`.
  asio::awaitable<absl::StatusOr<MessageMeta>> Put(Delivery& delivery);

 private:
  class Core;
  // One Put call of its own (grpc_call.h): a body over the batch byte limit,
  // batching off, or a mailstore without PutBatch.
  asio::awaitable<absl::StatusOr<MessageMeta>> PutAlone(Delivery& delivery);

  std::unique_ptr<cmtp::v1::MailStore::Stub> stub_;
  const std::chrono::milliseconds deadline_;
  // Shared with the batch calls in flight, which may finish after the batcher.
  std::shared_ptr<Core> core_;
};

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_PUT_BATCHER_H_
