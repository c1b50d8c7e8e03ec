#include "services/relay/idle_connections.h"

#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

namespace cmtp::relay {

IdleConnections::IdleConnections(size_t max_per_domain, int64_t idle_ms,
                                 std::function<int64_t()> steady_now_ms)
    : max_per_domain_(max_per_domain),
      idle_ms_(idle_ms),
      steady_now_ms_(std::move(steady_now_ms)) {
  if (!steady_now_ms_ || idle_ms_ < 0) {
    std::fprintf(stderr, "relay: IdleConnections needs a clock and idle_ms >= 0\n");
    std::abort();
  }
}

std::unique_ptr<PeerSession> IdleConnections::Take(std::string_view domain) {
  std::unique_ptr<PeerSession> taken;
  std::vector<Idle> expired;  // closed outside the lock
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = idle_.find(domain);
    if (it == idle_.end()) return nullptr;
    const int64_t now = steady_now_ms_();
    std::deque<Idle>& sessions = it->second;
    while (!sessions.empty() && taken == nullptr) {
      Idle newest = std::move(sessions.back());
      sessions.pop_back();
      if (now - newest.since_ms <= idle_ms_) {
        taken = std::move(newest.peer);
      } else {
        expired.push_back(std::move(newest));
      }
    }
    if (sessions.empty()) idle_.erase(it);
  }
  return taken;
}

void IdleConnections::Put(std::unique_ptr<PeerSession> peer) {
  if (peer == nullptr || idle_ms_ == 0 || max_per_domain_ == 0) return;
  std::unique_ptr<PeerSession> evicted;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::deque<Idle>& sessions = idle_[peer->domain];
    sessions.push_back(Idle{std::move(peer), steady_now_ms_()});
    if (sessions.size() > max_per_domain_) {
      evicted = std::move(sessions.front().peer);
      sessions.pop_front();
    }
  }
}

void IdleConnections::CloseExpired() {
  std::vector<Idle> expired;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const int64_t now = steady_now_ms_();
    for (auto it = idle_.begin(); it != idle_.end();) {
      std::deque<Idle>& sessions = it->second;
      while (!sessions.empty() && now - sessions.front().since_ms > idle_ms_) {
        expired.push_back(std::move(sessions.front()));
        sessions.pop_front();
      }
      it = sessions.empty() ? idle_.erase(it) : std::next(it);
    }
  }
}

size_t IdleConnections::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t count = 0;
  for (const auto& [domain, sessions] : idle_) count += sessions.size();
  return count;
}

}  // namespace cmtp::relay
