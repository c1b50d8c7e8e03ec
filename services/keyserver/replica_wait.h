// Durability of the keyserver's writes, the mailstore's way: with
// `replicas` > 0 every write that creates or changes an account (and every
// invite) is followed, on the same connection and in the same round trip, by
// Redis WAIT; fewer acknowledgements in time fail the call with Unavailable.
// The write itself stays done (Redis has no rollback), so the operator or
// client retrying sees AlreadyExists / the same state once replicas catch up.
#ifndef CMTP_SERVICES_KEYSERVER_REPLICA_WAIT_H_
#define CMTP_SERVICES_KEYSERVER_REPLICA_WAIT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lib/redis/client.h"

namespace cmtp::keyserver {

struct ReplicaWait {
  int replicas = 0;       // 0: answer once the master has the write
  int timeout_ms = 1000;  // how long the wait may take

  bool enabled() const { return replicas > 0; }
  // The WAIT command to send after the write.
  std::vector<std::string> Command() const;
};

// InvalidInput for a negative count or, when waiting, a timeout that is not
// positive (Redis reads 0 as "forever").
absl::Status ValidateReplicaWait(const ReplicaWait& wait);

// OkStatus when WAIT's reply counts enough replicas; Unavailable naming
// `what` ("account alice") otherwise.
absl::Status CheckReplicaAck(const ReplicaWait& wait, const redis::Reply& ack,
                             const std::string& what);

}  // namespace cmtp::keyserver

#endif  // CMTP_SERVICES_KEYSERVER_REPLICA_WAIT_H_
