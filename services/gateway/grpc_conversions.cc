#include "services/gateway/grpc_conversions.h"

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/rpc/status.h"

namespace cmtp::gateway {

absl::Status CallStatus(std::string_view service, const grpc::Status& status) {
  absl::Status converted = rpc::FromGrpcStatus(status);
  switch (converted.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kUnimplemented:
      return error::Unavailable(
          absl::StrCat(ToAbsl(service), " unavailable: ", converted.message()));
    default:
      return converted;
  }
}

MessageMeta FromProto(const cmtp::v1::MessageMeta& meta) {
  MessageMeta out;
  out.message_id = meta.message_id();
  out.size = meta.size();
  out.arrival_unix_ms = meta.arrival_unix_ms();
  out.src_account = meta.src_account();
  out.src_domain = meta.src_domain();
  return out;
}

}  // namespace cmtp::gateway
