// The benchmark's network side: many non-blocking CMTP/1 connections driven
// by one epoll loop on one thread, so a thousand connections (or ten thousand
// idle ones) cost the client little. Each active connection sends one request,
// waits for its whole reply, then takes the next job, as the protocol asks.
#ifndef CMTP_BENCH_LOAD_DRIVER_H_
#define CMTP_BENCH_LOAD_DRIVER_H_

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/client/endpoint.h"
#include "lib/wire/limits.h"
#include "lib/wire/reply.h"

namespace cmtp::bench {

using Clock = std::chrono::steady_clock;

// A resolved server address.
struct Target {
  sockaddr_storage address{};
  socklen_t length = 0;
  std::string text;  // for messages
};
absl::StatusOr<Target> ResolveTarget(const client::Endpoint& endpoint);

// Raises RLIMIT_NOFILE to at least `needed` descriptors (soft, and the hard
// limit too when the process may). Fails with the limits when it cannot.
absl::Status RaiseFileLimit(size_t needed);

// One request on the wire: `head` then `body` (either may be empty), sent
// with one writev, so a large pre-built message is never copied.
struct Request {
  std::string_view head;
  std::string_view body;
  wire::ReplyKind reply_kind = wire::ReplyKind::kStatus;
};

// What the connections do. Jobs are numbered 0..jobs-1; each is sent once.
class Workload {
 public:
  virtual ~Workload() = default;
  virtual Request RequestFor(size_t job) = 0;
  // Judges the reply to `job`: false counts it as a failure.
  virtual bool Accept(size_t job, wire::Reply reply) = 0;
};

struct RunPlan {
  size_t jobs = 0;
  // Requests per second over all connections; 0 is a closed loop (each
  // connection sends its next request as soon as it has the reply). When
  // paced, job k is due at start + k/rate and its latency is counted from
  // then, so time spent waiting for a free connection is included.
  double rate = 0;
  // No new request is sent after this; those in flight may finish.
  std::chrono::milliseconds max_duration{60'000};
  // A reply must be complete this long after its request was sent.
  std::chrono::milliseconds io_timeout{30'000};
};

struct RunResult {
  size_t sent = 0;
  size_t replies = 0;   // complete replies
  size_t accepted = 0;  // replies the workload accepted
  size_t refused = 0;   // replies the workload judged bad
  size_t errors = 0;    // requests lost to a closed connection, a timeout, bad bytes
  bool duration_cap_hit = false;
  double seconds = 0;  // first send to last reply
  uint64_t bytes_sent = 0;
  std::vector<int64_t> latencies_ns;  // one per complete reply
  std::string first_error;            // the first connection-level problem
};

class LoadDriver {
 public:
  LoadDriver(Target target, wire::Limits limits);
  ~LoadDriver();
  LoadDriver(const LoadDriver&) = delete;
  LoadDriver& operator=(const LoadDriver&) = delete;

  // Opens `count` connections and reads each banner, at most `max_pending`
  // connects in progress at a time. Active connections run workloads; idle
  // ones are only watched (a close by the server counts as a drop). Fails
  // when any connection cannot be opened in `timeout`.
  absl::Status OpenActive(size_t count, size_t max_pending,
                          std::chrono::milliseconds timeout);
  absl::Status OpenIdle(size_t count, size_t max_pending,
                        std::chrono::milliseconds timeout);

  RunResult Run(Workload& workload, const RunPlan& plan);

  // Per-connection setup that is not timed (AUTH): `prologue` runs on each
  // open active connection in turn, exchanging requests and replies with
  // blocking waits bounded by `timeout` each.
  using Exchange =
      std::function<absl::StatusOr<wire::Reply>(std::string_view, wire::ReplyKind)>;
  absl::Status ForEachActive(const std::function<absl::Status(const Exchange&)>& prologue,
                             std::chrono::milliseconds timeout);

  size_t active_count() const;
  size_t idle_alive() const;
  size_t idle_dropped() const { return idle_dropped_; }

 private:
  struct Conn;
  absl::Status Open(size_t count, bool idle, size_t max_pending,
                    std::chrono::milliseconds timeout);
  // Handles readiness on a connection being opened; true once it is usable
  // or dead (then *failure says why).
  void OnOpening(Conn& conn, uint32_t events, std::string* failure);
  // Reads whatever the socket has into the connection's parser. Returns the
  // number of complete replies (0 or 1); on trouble marks the connection dead.
  bool ReadReply(Conn& conn, wire::Reply* reply, std::string* failure);
  bool WriteSome(Conn& conn, std::string* failure);
  void WatchWrites(Conn& conn, bool on);
  void Kill(Conn& conn);
  // Events for idle connections outside Open/Run.
  void OnIdleEvent(Conn& conn, uint32_t events);
  absl::StatusOr<wire::Reply> ExchangeBlocking(Conn& conn, std::string_view request,
                                               wire::ReplyKind kind,
                                               std::chrono::milliseconds timeout);

  Target target_;
  wire::Limits limits_;
  int epoll_fd_ = -1;
  std::vector<std::unique_ptr<Conn>> conns_;
  size_t idle_dropped_ = 0;
};

}  // namespace cmtp::bench

#endif  // CMTP_BENCH_LOAD_DRIVER_H_
