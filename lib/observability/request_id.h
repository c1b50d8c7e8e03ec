// Request ids: one id follows a piece of work from the gateway to the
// keyserver, mailstore or relay, so their log lines can be put together.
//
// On the wire it is the gRPC metadata entry `x-cmtp-request-id`. A server
// built with RunServer (lib/rpc/server.h) reads it from every incoming call,
// makes one when the caller sent none (or an unusable one), echoes it in the
// response's initial metadata, and makes it the current request id of the
// thread running a synchronous handler, where Logger picks it up.
//
// Callers:
//   - a synchronous handler that calls another service through a channel of
//     rpc::MakeChannel passes the id on by itself (that channel's client
//     interceptor copies CurrentRequestId() into the call);
//   - code that does not run inside a handler (the gateway's sessions, the
//     relay's delivery threads) calls AttachRequestId on each ClientContext,
//     or holds a ScopedRequestId around synchronous calls.
#ifndef CMTP_LIB_OBSERVABILITY_REQUEST_ID_H_
#define CMTP_LIB_OBSERVABILITY_REQUEST_ID_H_

#include <grpcpp/client_context.h>

#include <string>
#include <string_view>

namespace cmtp::observability {

inline constexpr char kRequestIdMetadataKey[] = "x-cmtp-request-id";

// A fresh random id: 32 lowercase hex digits.
std::string NewRequestId();

// Whether an id received from a peer is used as is: 1 to 128 characters of
// letters, digits, '-', '_', '.' and ':'. Anything else is replaced by a new
// id, so a peer cannot put arbitrary text into every log line.
bool IsUsableRequestId(std::string_view id);

// The request id of the work this thread is doing; empty when none.
const std::string& CurrentRequestId();

// Makes `id` this thread's current request id until destroyed, then restores
// the one before.
class ScopedRequestId {
 public:
  explicit ScopedRequestId(std::string id);
  ~ScopedRequestId();
  ScopedRequestId(const ScopedRequestId&) = delete;
  ScopedRequestId& operator=(const ScopedRequestId&) = delete;

 private:
  std::string previous_;
};

// Sends `id` with the call `context` is for. Call before the call starts.
void AttachRequestId(grpc::ClientContext& context, std::string_view id);

}  // namespace cmtp::observability

#endif  // CMTP_LIB_OBSERVABILITY_REQUEST_ID_H_
