#include "services/keyserver/replica_wait.h"

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"

namespace cmtp::keyserver {

std::vector<std::string> ReplicaWait::Command() const {
  return {"WAIT", std::to_string(replicas), std::to_string(timeout_ms)};
}

absl::Status ValidateReplicaWait(const ReplicaWait& wait) {
  if (wait.replicas < 0) {
    return error::InvalidInput("the replica count to wait for must not be negative");
  }
  if (wait.replicas > 0 && wait.timeout_ms <= 0) {
    return error::InvalidInput("the replica wait timeout must be positive");
  }
  return absl::OkStatus();
}

absl::Status CheckReplicaAck(const ReplicaWait& wait, const redis::Reply& ack,
                             const std::string& what) {
  if (ack.type != redis::Reply::Type::kInteger) {
    return error::Internal("unexpected reply to WAIT");
  }
  if (ack.integer < wait.replicas) {
    return error::Unavailable(
        absl::StrCat(what, " stored, but only ", ack.integer, " of ", wait.replicas,
                     " replicas acknowledged it within ", wait.timeout_ms, " ms"));
  }
  return absl::OkStatus();
}

}  // namespace cmtp::keyserver
