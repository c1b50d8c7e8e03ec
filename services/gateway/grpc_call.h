// Awaiting a unary call of gRPC's callback API from an Asio coroutine. gRPC
// runs the completion callback on one of its own threads; the coroutine must
// continue on its own executor (a session's strand), so the callback only
// records the status and posts the resumption there.
#ifndef CMTP_SERVICES_GATEWAY_GRPC_CALL_H_
#define CMTP_SERVICES_GATEWAY_GRPC_CALL_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/execution/outstanding_work.hpp>
#include <asio/post.hpp>
#include <asio/prefer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <utility>

namespace cmtp::gateway {

// Everything gRPC needs to outlive the call: shared between the awaiting
// coroutine and the completion callback.
template <typename Request, typename Response>
struct UnaryCall {
  grpc::ClientContext context;
  Request request;
  Response response;
  grpc::Status status;
};

// Starts the call with `start(&context, &request, &response, done)` (a
// `stub->async()->Method` call) and suspends until it completes; on return
// `call->status` and `call->response` hold the outcome. The call carries a
// deadline, so it always completes.
template <typename Call, typename Start>
asio::awaitable<void> AwaitUnaryCall(std::shared_ptr<Call> call,
                                     std::chrono::milliseconds deadline, Start start) {
  call->context.set_deadline(std::chrono::system_clock::now() + deadline);
  auto initiation = [call, &start](auto handler) {
    // Counted as outstanding work so the io_context's run() does not return
    // (and the context is not destroyed) while gRPC may still post to it.
    auto work = asio::prefer(asio::get_associated_executor(handler),
                             asio::execution::outstanding_work.tracked);
    // std::function needs a copyable callable; Asio handlers are move-only.
    auto pending = std::make_shared<decltype(handler)>(std::move(handler));
    auto done = [call, work, pending](grpc::Status status) mutable {
      call->status = std::move(status);
      // The call (its ClientContext holds the channel) moves on to the
      // executor: were this callback's copy the last reference, gRPC's own
      // thread would destroy the channel, and with it the callback completion
      // queue that thread is still serving (a double free under ASan).
      asio::post(work, [pending, call = std::move(call)]() { std::move (*pending)(); });
    };
    start(&call->context, &call->request, &call->response,
          std::function<void(grpc::Status)>(std::move(done)));
  };
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
      initiation, asio::use_awaitable);
}

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_GRPC_CALL_H_
