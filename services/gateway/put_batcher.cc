#include "services/gateway/put_batcher.h"

#include <grpcpp/client_context.h>

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cmtp/v1/mailstore.grpc.pb.h"
#include "lib/common/errors.h"
#include "lib/observability/request_id.h"
#include "services/gateway/grpc_call.h"
#include "services/gateway/grpc_conversions.h"

namespace cmtp::gateway {

namespace v1 = cmtp::v1;

namespace {

// A put's request; the blob is borrowed (Delivery::blob) and moved back
// once the call is over.
void FillRequest(Delivery& delivery, v1::PutRequest& request) {
  request.set_mailbox(delivery.mailbox);
  request.set_message_id(delivery.message_id);
  request.set_src_account(delivery.src_account);
  request.set_src_domain(delivery.src_domain);
  request.set_blob(std::move(delivery.blob));
}

}  // namespace

// What a batch call says of one put; nullopt: the mailstore has no
// PutBatch, so the put is to be sent on its own.
using BatchedOutcome = std::optional<absl::StatusOr<MessageMeta>>;

// A message waiting for its put: the session's delivery (its coroutine is
// suspended until `done` runs) and how to resume it. `done` hands
// `keep_alive` (the call, the core) to the session's executor, where it is
// released: were the gRPC thread running the completion to drop the last
// reference, it would destroy the channel whose completion queue it is
// serving (grpc_call.h).
struct WaitingPut {
  Delivery* delivery;
  std::function<void(BatchedOutcome outcome, std::shared_ptr<void> keep_alive)> done;
};

class PutBatcher::Core : public std::enable_shared_from_this<PutBatcher::Core> {
 public:
  Core(std::shared_ptr<grpc::Channel> channel, std::chrono::milliseconds deadline,
       PutBatchingOptions options)
      : stub_(v1::MailStore::NewStub(std::move(channel))),
        deadline_(deadline),
        options_(options),
        batching_(options.max_in_flight > 0) {}

  // Whether `delivery` goes in a Put of its own: batching is off (or the
  // mailstore has no PutBatch), or its body is over max_bytes; such a message
  // is outside the count of calls in flight, so the seconds a large body may
  // take to store do not hold up the small ones behind it.
  bool GoesAlone(const Delivery& delivery) const {
    return !batching_.load() ||
           static_cast<int64_t>(delivery.blob.size()) > options_.max_bytes;
  }

  // Queues the put; sends a batch at once when fewer than max_in_flight are
  // out, else the put goes with the next batch (sent as one returns).
  void Submit(WaitingPut put) {
    std::vector<WaitingPut> batch;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      waiting_.push_back(std::move(put));
      if (in_flight_ >= options_.max_in_flight) return;
      batch = TakeBatchLocked();
    }
    SendBatch(std::move(batch));
  }

 private:
  struct BatchCall {
    grpc::ClientContext context;
    v1::PutBatchRequest request;
    v1::PutBatchResponse response;
    std::vector<WaitingPut> puts;
  };

  // The next batch from the front of the queue, counted as in flight.
  std::vector<WaitingPut> TakeBatchLocked() {
    std::vector<WaitingPut> batch;
    int64_t bytes = 0;
    while (!waiting_.empty() && batch.size() < static_cast<size_t>(options_.max_puts)) {
      const int64_t size = static_cast<int64_t>(waiting_.front().delivery->blob.size());
      if (!batch.empty() && bytes + size > options_.max_bytes) break;
      bytes += size;
      batch.push_back(std::move(waiting_.front()));
      waiting_.pop_front();
    }
    ++in_flight_;
    return batch;
  }

  void SendBatch(std::vector<WaitingPut> puts) {
    auto call = std::make_shared<BatchCall>();
    call->puts = std::move(puts);
    call->request.mutable_puts()->Reserve(static_cast<int>(call->puts.size()));
    for (WaitingPut& put : call->puts)
      FillRequest(*put.delivery, *call->request.add_puts());
    // One call, many messages: it carries the first one's request id.
    const std::string& request_id = call->puts.front().delivery->request_id;
    if (!request_id.empty()) observability::AttachRequestId(call->context, request_id);
    call->context.set_deadline(std::chrono::system_clock::now() + deadline_);
    stub_->async()->PutBatch(
        &call->context, &call->request, &call->response,
        [self = shared_from_this(), call](grpc::Status status) mutable {
          self->BatchDone(std::move(self), std::move(call), status);
        });
  }

  // Each put's outcome: the call's status when the call failed, else the
  // mailstore's answer for that put.
  static std::vector<absl::StatusOr<MessageMeta>> Outcomes(BatchCall& call,
                                                           const grpc::Status& status) {
    const int puts = call.request.puts_size();
    if (!status.ok()) {
      return std::vector<absl::StatusOr<MessageMeta>>(puts,
                                                      CallStatus(kMailstore, status));
    }
    if (call.response.outcomes_size() != puts) {
      return std::vector<absl::StatusOr<MessageMeta>>(
          puts, error::Unavailable(absl::StrCat("mailstore unavailable: it answered ",
                                                call.response.outcomes_size(),
                                                " outcomes for ", puts, " puts")));
    }
    std::vector<absl::StatusOr<MessageMeta>> outcomes;
    outcomes.reserve(puts);
    for (const v1::PutOutcome& outcome : call.response.outcomes()) {
      if (outcome.code() != grpc::StatusCode::OK) {
        outcomes.push_back(CallStatus(
            kMailstore, grpc::Status(static_cast<grpc::StatusCode>(outcome.code()),
                                     outcome.error())));
      } else {
        outcomes.push_back(FromProto(outcome.response().meta()));
      }
    }
    return outcomes;
  }

  void BatchDone(std::shared_ptr<Core> self, std::shared_ptr<BatchCall> call,
                 const grpc::Status& status) {
    for (int i = 0; i < call->request.puts_size(); ++i) {
      call->puts[i].delivery->blob =
          std::move(*call->request.mutable_puts(i)->mutable_blob());
    }
    std::vector<WaitingPut> puts = std::move(call->puts);
    std::vector<BatchedOutcome> outcomes(puts.size());
    if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      // A mailstore without PutBatch: each of these (nullopt), and every
      // later message, goes in a Put of its own.
      batching_.store(false);
    } else {
      std::vector<absl::StatusOr<MessageMeta>> answers = Outcomes(*call, status);
      for (size_t i = 0; i < puts.size(); ++i) outcomes[i] = std::move(answers[i]);
    }
    std::vector<WaitingPut> next;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --in_flight_;
      if (!waiting_.empty()) next = TakeBatchLocked();
    }
    if (!next.empty()) SendBatch(std::move(next));
    // The last put's resumption takes the last references with it.
    std::shared_ptr<void> keep_alive =
        std::make_shared<std::pair<std::shared_ptr<Core>, std::shared_ptr<BatchCall>>>(
            std::move(self), std::move(call));
    for (size_t i = 0; i < puts.size(); ++i) {
      WaitingPut put = std::move(puts[i]);
      put.done(std::move(outcomes[i]),
               i + 1 == puts.size() ? std::move(keep_alive) : keep_alive);
    }
  }

  std::unique_ptr<v1::MailStore::Stub> stub_;
  const std::chrono::milliseconds deadline_;
  const PutBatchingOptions options_;
  std::atomic<bool> batching_;
  std::mutex mutex_;
  std::deque<WaitingPut> waiting_;  // guarded by mutex_
  int in_flight_ = 0;               // batch calls out; guarded by mutex_
};

PutBatcher::PutBatcher(std::shared_ptr<grpc::Channel> channel,
                       std::chrono::milliseconds deadline, PutBatchingOptions options)
    : stub_(v1::MailStore::NewStub(channel)),
      deadline_(deadline),
      core_(std::make_shared<Core>(std::move(channel), deadline, options)) {}

PutBatcher::~PutBatcher() = default;

asio::awaitable<absl::StatusOr<MessageMeta>> PutBatcher::PutAlone(Delivery& delivery) {
  auto call = std::make_shared<UnaryCall<v1::PutRequest, v1::PutResponse>>();
  FillRequest(delivery, call->request);
  if (!delivery.request_id.empty()) {
    observability::AttachRequestId(call->context, delivery.request_id);
  }
  co_await AwaitUnaryCall(
      call, deadline_, [this](auto... args) { stub_->async()->Put(std::move(args)...); });
  // The call is over: gRPC no longer reads the request, so the bytes go
  // back to the caller (see Delivery::blob).
  delivery.blob = std::move(*call->request.mutable_blob());
  if (!call->status.ok()) co_return CallStatus(kMailstore, call->status);
  co_return FromProto(call->response.meta());
}

asio::awaitable<absl::StatusOr<MessageMeta>> PutBatcher::Put(Delivery& delivery) {
  if (core_->GoesAlone(delivery)) co_return co_await PutAlone(delivery);
  BatchedOutcome batched;
  auto initiation = [this, &delivery, &batched](auto handler) {
    // Counted as outstanding work so the io_context's run() does not return
    // while the put is out (grpc_call.h does the same for single calls).
    auto work = asio::prefer(asio::get_associated_executor(handler),
                             asio::execution::outstanding_work.tracked);
    auto pending = std::make_shared<decltype(handler)>(std::move(handler));
    core_->Submit(WaitingPut{
        &delivery, [work, pending, &batched](BatchedOutcome outcome,
                                             std::shared_ptr<void> keep_alive) mutable {
          // The coroutine is suspended until the post below resumes it.
          batched = std::move(outcome);
          asio::post(work, [pending, keep_alive = std::move(keep_alive)]() {
            std::move (*pending)();
          });
        }});
  };
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
      initiation, asio::use_awaitable);
  if (!batched.has_value()) co_return co_await PutAlone(delivery);
  co_return *std::move(batched);
}

}  // namespace cmtp::gateway
