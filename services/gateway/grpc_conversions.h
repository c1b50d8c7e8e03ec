// What the gateway's gRPC clients (grpc_backends.h, put_batcher.h) share:
// a call's status as the gateway reports it, and the mailstore's metadata.
#ifndef CMTP_SERVICES_GATEWAY_GRPC_CONVERSIONS_H_
#define CMTP_SERVICES_GATEWAY_GRPC_CONVERSIONS_H_

#include <grpcpp/support/status.h>

#include <string_view>

#include "absl/status/status.h"
#include "cmtp/v1/mailstore.pb.h"
#include "services/gateway/backends.h"

namespace cmtp::gateway {

inline constexpr std::string_view kKeyserver = "keyserver";
inline constexpr std::string_view kMailstore = "mailstore";
inline constexpr std::string_view kRelay = "relay";

// Errors of the service's own making (NotFound "no account ...", a rate
// limit) are meant for the client and pass through as they are; failures of
// the call itself are named after the service so a FAILURE reply says which
// dependency is down.
absl::Status CallStatus(std::string_view service, const grpc::Status& status);

MessageMeta FromProto(const cmtp::v1::MessageMeta& meta);

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_GRPC_CONVERSIONS_H_
