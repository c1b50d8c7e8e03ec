// A gateway's calls of one kind to one service, grouped: while
// `max_in_flight` batch calls are out, the messages that arrive on every
// session wait, and the next call to go (when one returns) carries all of
// them (one gRPC call, one Redis script, one fsync for the lot). With few
// sessions there is nothing to wait for and each message goes alone at once;
// under load a call and its fsync are shared by several messages instead of
// paid by each (docs/performance.md, "grouped puts"). Used for the
// mailstore's Put/PutBatch (put_batcher.h) and the relay's
// Enqueue/EnqueueBatch (enqueue_batcher.h).
//
// Each message still completes on its own, only once it is durable, with its
// own outcome: the service answers each message of a batch separately. A
// service too old to know the batch call (UNIMPLEMENTED, during a rolling
// update) gets one single call per message from then on.
//
// `Calls` says what the calls are:
//   Service, Item (the message), Result, Request/Response (the single call),
//   BatchRequest/BatchResponse, kService (for CallStatus), and
//   static void Fill(Item&, Request&)       moves the message bytes in
//   static void TakeBack(Item&, Request&)   and back, once the call is over
//   static int64_t Bytes(const Item&)
//   static const std::string& RequestId(const Item&)
//   static RepeatedPtrField<Request>& Requests(BatchRequest&)
//   static Result FromResponse(const Response&)
//   static void StartOne(Stub&, ClientContext*, const Request*, Response*, done)
//   static void StartBatch(Stub&, ClientContext*, const BatchRequest*,
//                          BatchResponse*, done)
// The batch response has `outcomes`, one per request, each with a gRPC status
// code, an error and, on success, the single call's response.
#ifndef CMTP_SERVICES_GATEWAY_CALL_BATCHER_H_
#define CMTP_SERVICES_GATEWAY_CALL_BATCHER_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/observability/request_id.h"
#include "services/gateway/batching_options.h"
#include "services/gateway/grpc_call.h"
#include "services/gateway/grpc_conversions.h"

namespace cmtp::gateway {

template <typename Calls>
class CallBatcher {
 public:
  using Item = typename Calls::Item;
  using Result = typename Calls::Result;

  CallBatcher(std::shared_ptr<grpc::Channel> channel, std::chrono::milliseconds deadline,
              BatchingOptions options)
      : core_(std::make_shared<Core>(std::move(channel), deadline, options)) {}

  // Completes once the message is durable, with its bytes handed back to
  // `item`.
  asio::awaitable<absl::StatusOr<Result>> Call(Item& item) {
    if (core_->GoesAlone(item)) co_return co_await CallAlone(item);
    BatchedOutcome batched;
    auto initiation = [this, &item, &batched](auto handler) {
      // Counted as outstanding work so the io_context's run() does not return
      // while the message is out (grpc_call.h does the same for single calls).
      auto work = asio::prefer(asio::get_associated_executor(handler),
                               asio::execution::outstanding_work.tracked);
      auto pending = std::make_shared<decltype(handler)>(std::move(handler));
      core_->Submit(Waiting{
          &item, [work, pending, &batched](BatchedOutcome outcome,
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
    if (!batched.has_value()) co_return co_await CallAlone(item);
    co_return *std::move(batched);
  }

 private:
  using Request = typename Calls::Request;
  using Response = typename Calls::Response;
  using BatchRequest = typename Calls::BatchRequest;
  using BatchResponse = typename Calls::BatchResponse;
  using Stub = typename Calls::Service::Stub;

  // What a batch call says of one message; nullopt: the service has no batch
  // call, so the message is to be sent on its own.
  using BatchedOutcome = std::optional<absl::StatusOr<Result>>;

  // A message waiting for its call: the session's item (its coroutine is
  // suspended until `done` runs) and how to resume it. `done` hands
  // `keep_alive` (the call, the core) to the session's executor, where it is
  // released: were the gRPC thread running the completion to drop the last
  // reference, it would destroy the channel whose completion queue it is
  // serving (grpc_call.h).
  struct Waiting {
    Item* item;
    std::function<void(BatchedOutcome outcome, std::shared_ptr<void> keep_alive)> done;
  };

  class Core : public std::enable_shared_from_this<Core> {
   public:
    Core(std::shared_ptr<grpc::Channel> channel, std::chrono::milliseconds deadline,
         BatchingOptions options)
        : stub_(Calls::Service::NewStub(std::move(channel))),
          deadline_(deadline),
          options_(options),
          batching_(options.max_in_flight > 0) {}

    // The single calls use the batches' stub and deadline.
    Stub& stub() { return *stub_; }
    std::chrono::milliseconds deadline() const { return deadline_; }

    // Whether `item` goes in a call of its own: batching is off (or the
    // service has no batch call), or it is over max_bytes; such a message is
    // outside the count of calls in flight, so the seconds a large body may
    // take to store do not hold up the small ones behind it.
    bool GoesAlone(const Item& item) const {
      return !batching_.load() || Calls::Bytes(item) > options_.max_bytes;
    }

    // Queues the message; sends a batch at once when fewer than max_in_flight
    // are out, else it goes with the next batch (sent as one returns).
    void Submit(Waiting waiting) {
      std::vector<Waiting> batch;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        waiting_.push_back(std::move(waiting));
        if (in_flight_ >= options_.max_in_flight) return;
        batch = TakeBatchLocked();
      }
      SendBatch(std::move(batch));
    }

   private:
    struct BatchCall {
      grpc::ClientContext context;
      BatchRequest request;
      BatchResponse response;
      std::vector<Waiting> items;
    };

    // The next batch from the front of the queue, counted as in flight.
    std::vector<Waiting> TakeBatchLocked() {
      std::vector<Waiting> batch;
      int64_t bytes = 0;
      while (!waiting_.empty() &&
             batch.size() < static_cast<size_t>(options_.max_items)) {
        const int64_t size = Calls::Bytes(*waiting_.front().item);
        if (!batch.empty() && bytes + size > options_.max_bytes) break;
        bytes += size;
        batch.push_back(std::move(waiting_.front()));
        waiting_.pop_front();
      }
      ++in_flight_;
      return batch;
    }

    void SendBatch(std::vector<Waiting> items) {
      auto call = std::make_shared<BatchCall>();
      call->items = std::move(items);
      auto& requests = Calls::Requests(call->request);
      requests.Reserve(static_cast<int>(call->items.size()));
      for (Waiting& waiting : call->items) Calls::Fill(*waiting.item, *requests.Add());
      // One call, many messages: it carries the first one's request id.
      const std::string& request_id = Calls::RequestId(*call->items.front().item);
      if (!request_id.empty()) observability::AttachRequestId(call->context, request_id);
      call->context.set_deadline(std::chrono::system_clock::now() + deadline_);
      Calls::StartBatch(
          *stub_, &call->context, &call->request, &call->response,
          [self = this->shared_from_this(), call](grpc::Status status) mutable {
            self->BatchDone(std::move(self), std::move(call), status);
          });
    }

    // Each message's outcome: the call's status when the call failed, else
    // the service's answer for that message.
    static std::vector<absl::StatusOr<Result>> Outcomes(BatchCall& call,
                                                        const grpc::Status& status) {
      const int count = Calls::Requests(call.request).size();
      if (!status.ok()) {
        return std::vector<absl::StatusOr<Result>>(count,
                                                   CallStatus(Calls::kService, status));
      }
      if (call.response.outcomes_size() != count) {
        return std::vector<absl::StatusOr<Result>>(
            count,
            error::Unavailable(absl::StrCat(
                ToAbsl(Calls::kService), " unavailable: it answered ",
                call.response.outcomes_size(), " outcomes for ", count, " messages")));
      }
      std::vector<absl::StatusOr<Result>> outcomes;
      outcomes.reserve(count);
      for (const auto& outcome : call.response.outcomes()) {
        if (outcome.code() != grpc::StatusCode::OK) {
          outcomes.push_back(CallStatus(
              Calls::kService, grpc::Status(static_cast<grpc::StatusCode>(outcome.code()),
                                            outcome.error())));
        } else {
          outcomes.push_back(Calls::FromResponse(outcome.response()));
        }
      }
      return outcomes;
    }

    void BatchDone(std::shared_ptr<Core> self, std::shared_ptr<BatchCall> call,
                   const grpc::Status& status) {
      auto& requests = Calls::Requests(call->request);
      for (int i = 0; i < requests.size(); ++i) {
        Calls::TakeBack(*call->items[i].item, *requests.Mutable(i));
      }
      std::vector<Waiting> items = std::move(call->items);
      std::vector<BatchedOutcome> outcomes(items.size());
      if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
        // A service without the batch call: each of these (nullopt), and
        // every later message, goes in a call of its own.
        batching_.store(false);
      } else {
        std::vector<absl::StatusOr<Result>> answers = Outcomes(*call, status);
        for (size_t i = 0; i < items.size(); ++i) outcomes[i] = std::move(answers[i]);
      }
      std::vector<Waiting> next;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        --in_flight_;
        if (!waiting_.empty()) next = TakeBatchLocked();
      }
      if (!next.empty()) SendBatch(std::move(next));
      // The last message's resumption takes the last references with it.
      std::shared_ptr<void> keep_alive =
          std::make_shared<std::pair<std::shared_ptr<Core>, std::shared_ptr<BatchCall>>>(
              std::move(self), std::move(call));
      for (size_t i = 0; i < items.size(); ++i) {
        Waiting waiting = std::move(items[i]);
        waiting.done(std::move(outcomes[i]),
                     i + 1 == items.size() ? std::move(keep_alive) : keep_alive);
      }
    }

    std::unique_ptr<Stub> stub_;
    const std::chrono::milliseconds deadline_;
    const BatchingOptions options_;
    std::atomic<bool> batching_;
    std::mutex mutex_;
    std::deque<Waiting> waiting_;  // guarded by mutex_
    int in_flight_ = 0;            // batch calls out; guarded by mutex_
  };

  // One single call (grpc_call.h): a message over the batch byte limit,
  // batching off, or a service without the batch call.
  asio::awaitable<absl::StatusOr<Result>> CallAlone(Item& item) {
    auto call = std::make_shared<UnaryCall<Request, Response>>();
    Calls::Fill(item, call->request);
    const std::string& request_id = Calls::RequestId(item);
    if (!request_id.empty()) observability::AttachRequestId(call->context, request_id);
    co_await AwaitUnaryCall(call, core_->deadline(), [this](auto... args) {
      Calls::StartOne(core_->stub(), std::move(args)...);
    });
    // The call is over: gRPC no longer reads the request, so the bytes go
    // back to the caller.
    Calls::TakeBack(item, call->request);
    if (!call->status.ok()) co_return CallStatus(Calls::kService, call->status);
    co_return Calls::FromResponse(call->response);
  }

  // Shared with the batch calls in flight, which may finish after the batcher.
  std::shared_ptr<Core> core_;
};

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_CALL_BATCHER_H_
