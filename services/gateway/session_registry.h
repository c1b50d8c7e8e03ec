// The live sessions of a listener: counted for --max-connections and
// reachable for a graceful shutdown. Shared (by shared_ptr) between the
// listener and every session, so whichever goes last frees it.
#ifndef CMTP_SERVICES_GATEWAY_SESSION_REGISTRY_H_
#define CMTP_SERVICES_GATEWAY_SESSION_REGISTRY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace cmtp::gateway {

class Session;

class SessionRegistry {
 public:
  // Returns the id to pass to Remove.
  uint64_t Add(std::weak_ptr<Session> session);
  void Remove(uint64_t id);
  size_t size() const;
  // The sessions still alive, for shutdown.
  std::vector<std::shared_ptr<Session>> Snapshot() const;

 private:
  mutable std::mutex mutex_;  // sessions end on any io thread
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::weak_ptr<Session>> sessions_;
};

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_SESSION_REGISTRY_H_
