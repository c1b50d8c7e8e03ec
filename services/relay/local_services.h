// What the relay needs from its own domain's services to send a failure
// notice: the sender's key (keyserver) and the sender's mailbox (mailstore).
// The core sees these interfaces; grpc_local_services.h implements them over
// gRPC, outside the core.
#ifndef CMTP_SERVICES_RELAY_LOCAL_SERVICES_H_
#define CMTP_SERVICES_RELAY_LOCAL_SERVICES_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cmtp::relay {

class LocalAccounts {
 public:
  virtual ~LocalAccounts() = default;
  // The account's key block (102 bytes) as the keyserver signs it with our
  // server key. NotFound when there is no such account.
  virtual absl::StatusOr<std::string> AccountKeyBlock(std::string_view account) = 0;
};

class LocalMailboxes {
 public:
  virtual ~LocalMailboxes() = default;
  // Stores a message durably, once per (mailbox, id): a second put of the same
  // id stores nothing and succeeds.
  virtual absl::Status Put(std::string_view mailbox, std::string_view message_id,
                           std::string_view message_bytes, std::string_view src_account,
                           std::string_view src_domain) = 0;
};

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_LOCAL_SERVICES_H_
