// Accounts as Redis keeps them: one hash per account (cmtp:acct:{name}) and
// the set of names (cmtp:accounts). Every write that touches more than one
// key is a Lua script, so an account exists completely or not at all.
#ifndef CMTP_SERVICES_KEYSERVER_ACCOUNT_STORE_H_
#define CMTP_SERVICES_KEYSERVER_ACCOUNT_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/redis/client.h"
#include "services/keyserver/replica_wait.h"

namespace cmtp::keyserver {

struct AccountRecord {
  std::string name;
  std::string public_key;        // Ed25519, 32 bytes
  std::string xzibit;            // empty for imported accounts that had none
  uint32_t xzibit_version = 0;   // 0 when there is no xzibit
  std::string login_public_key;  // 32 bytes for v2 accounts, empty otherwise
  int64_t created_ms = 0;
  bool disabled = false;
};

class AccountStore {
 public:
  // Creations and changes wait for `wait` replicas (replica_wait.h).
  explicit AccountStore(redis::Client& redis, ReplicaWait wait = {})
      : redis_(redis), wait_(wait) {}

  // Stores a new account. AlreadyExists when the name is taken. With an
  // invite token, the token must exist (PermissionDenied otherwise) and is
  // deleted in the same atomic step; a refused creation leaves it unused.
  absl::Status Create(const AccountRecord& record,
                      std::optional<std::string_view> invite_token);

  // NotFound when there is no such account (disabled ones are returned).
  absl::StatusOr<AccountRecord> Find(std::string_view name);

  // Every account, sorted by name.
  absl::StatusOr<std::vector<AccountRecord>> List();

  // NotFound when there is no such account.
  absl::Status SetDisabled(std::string_view name, bool disabled);

 private:
  // Runs `script` and, when waiting for replicas, WAIT in the same round
  // trip; the script's reply, or Unavailable when the replicas lag and
  // `changed` says the script wrote something.
  absl::StatusOr<redis::Reply> RunDurably(const redis::Script& script,
                                          const std::vector<std::string_view>& keys,
                                          const std::vector<std::string_view>& args,
                                          bool (*changed)(const redis::Reply&),
                                          const std::string& what);

  redis::Client& redis_;
  const ReplicaWait wait_;
};

}  // namespace cmtp::keyserver

#endif  // CMTP_SERVICES_KEYSERVER_ACCOUNT_STORE_H_
