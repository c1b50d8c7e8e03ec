// The one place where absl::Status becomes grpc::Status and back.
#ifndef CMTP_LIB_RPC_STATUS_H_
#define CMTP_LIB_RPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace cmtp::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace cmtp::rpc

#endif  // CMTP_LIB_RPC_STATUS_H_
