// One call of the standard gRPC health service (grpc.health.v1.Health/Check)
// on another service, without generated code: the request is a message with
// one string field (the service name), the answer's field 1 the serving
// status (1 SERVING, 2 NOT_SERVING). The gateway's readiness asks its
// backends this way.
#ifndef CMTP_SERVICES_GATEWAY_GRPC_HEALTH_CHECK_H_
#define CMTP_SERVICES_GATEWAY_GRPC_HEALTH_CHECK_H_

#include <grpcpp/channel.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"

namespace cmtp::gateway {

// OkStatus when `service` ("" for the server as a whole) answers SERVING
// within `timeout`; Unavailable saying why not otherwise. Blocks: call it
// from a thread of its own, never from the event loop.
absl::Status CheckServing(const std::shared_ptr<grpc::Channel>& channel,
                          const std::string& service, std::chrono::milliseconds timeout);

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_GRPC_HEALTH_CHECK_H_
