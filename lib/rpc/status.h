// The one place where absl::Status becomes grpc::Status and back.
#ifndef CMTP_LIB_RPC_STATUS_H_
#define CMTP_LIB_RPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace cmtp::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// One item's status in a batch answer (PutOutcome, EnqueueOutcome): its gRPC
// code and message, as ToGrpcStatus makes them.
template <typename Outcome>
void SetOutcomeStatus(const absl::Status& status, Outcome& outcome) {
  const grpc::Status converted = ToGrpcStatus(status);
  outcome.set_code(converted.error_code());
  outcome.set_error(converted.error_message());
}

}  // namespace cmtp::rpc

#endif  // CMTP_LIB_RPC_STATUS_H_
