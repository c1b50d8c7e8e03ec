#include "services/gateway/session_registry.h"

#include <utility>

namespace cmtp::gateway {

uint64_t SessionRegistry::Add(std::weak_ptr<Session> session) {
  std::lock_guard<std::mutex> lock(mutex_);
  uint64_t id = next_id_++;
  sessions_.emplace(id, std::move(session));
  return id;
}

void SessionRegistry::Remove(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  sessions_.erase(id);
}

size_t SessionRegistry::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sessions_.size();
}

std::vector<std::shared_ptr<Session>> SessionRegistry::Snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::shared_ptr<Session>> alive;
  alive.reserve(sessions_.size());
  for (const auto& [id, weak] : sessions_) {
    if (std::shared_ptr<Session> session = weak.lock())
      alive.push_back(std::move(session));
  }
  return alive;
}

}  // namespace cmtp::gateway
