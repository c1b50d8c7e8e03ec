// Open connections to foreign servers, kept for the next message to the same
// domain (a burst of mail to one domain then costs one TCP and KEYREQUEST
// round trip, not one per message), and closed after an idle timeout.
#ifndef CMTP_SERVICES_RELAY_IDLE_CONNECTIONS_H_
#define CMTP_SERVICES_RELAY_IDLE_CONNECTIONS_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "lib/client/session.h"

namespace cmtp::relay {

// A session with a foreign domain's server whose key passed the pin check.
struct PeerSession {
  std::string domain;
  std::string server_key;      // 32 bytes, equal to the pin when it was checked
  std::string address;         // "ip:port", for messages
  int64_t pin_checked_ms = 0;  // steady clock: when server_key last matched the pin
  std::unique_ptr<client::Session> session;
};

class IdleConnections {
 public:
  // At most `max_per_domain` idle sessions per domain, each for at most
  // `idle_ms` (0: keep none). `steady_now_ms` is a monotonic clock.
  IdleConnections(size_t max_per_domain, int64_t idle_ms,
                  std::function<int64_t()> steady_now_ms);

  // The most recently used idle session with `domain`, or null.
  std::unique_ptr<PeerSession> Take(std::string_view domain);
  // Keeps a session that just finished an exchange cleanly.
  void Put(std::unique_ptr<PeerSession> peer);
  // Closes the sessions idle for longer than the timeout.
  void CloseExpired();
  size_t size() const;

 private:
  struct Idle {
    std::unique_ptr<PeerSession> peer;
    int64_t since_ms = 0;
  };

  const size_t max_per_domain_;
  const int64_t idle_ms_;
  const std::function<int64_t()> steady_now_ms_;
  mutable std::mutex mutex_;
  // Oldest first.
  std::map<std::string, std::deque<Idle>, std::less<>> idle_;
};

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_IDLE_CONNECTIONS_H_
