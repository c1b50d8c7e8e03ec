// The delivery workers: one dispatcher thread claims due messages (no more
// than there are idle workers, and no more than max_per_destination in
// progress per domain) and hands them to `workers` threads, each of which runs
// QueueProcessor::Process. Idle workers look for due work every poll
// interval, or at once when woken (a new message was queued here).
//
// Stop: no more claims; messages claimed but not started are released (due
// now, for another replica); deliveries in progress get a grace period.
#ifndef CMTP_SERVICES_RELAY_DELIVERY_ENGINE_H_
#define CMTP_SERVICES_RELAY_DELIVERY_ENGINE_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "services/relay/idle_connections.h"
#include "services/relay/outbound_queue.h"
#include "services/relay/queue_processor.h"

namespace cmtp::relay {

struct EngineOptions {
  int workers = 8;
  int max_per_destination = 4;
  std::chrono::milliseconds poll_interval{200};
};

class DeliveryEngine {
 public:
  // Everything must outlive the engine. `idle` is swept for expired
  // connections while the engine polls.
  DeliveryEngine(OutboundQueue& queue, QueueProcessor& processor, IdleConnections& idle,
                 EngineOptions options);
  ~DeliveryEngine();  // stops (without grace) if still running
  DeliveryEngine(const DeliveryEngine&) = delete;
  DeliveryEngine& operator=(const DeliveryEngine&) = delete;

  void Start();
  // Due work may be waiting: claim now rather than at the next poll.
  void Wake();
  // Stops claiming, releases what was claimed but not started, and waits up
  // to `grace` for deliveries in progress. True when every thread finished;
  // false when some are still delivering (their leases cover them): the
  // threads are then left behind, and the caller must exit the process
  // without destroying what they use.
  bool Stop(std::chrono::milliseconds grace);

  // In the caller's thread, without the worker threads: claims and processes
  // due messages until none is due. For tests (with a fake clock) and tools.
  // Returns how many were processed.
  size_t DrainDue();

 private:
  void DispatchLoop();
  void WorkLoop();
  // Claims as many messages as there are free workers; false on an error.
  bool ClaimForIdleWorkers(size_t& claimed);
  void ReleaseUnstarted();

  OutboundQueue& queue_;
  QueueProcessor& processor_;
  IdleConnections& idle_;
  const EngineOptions options_;

  std::mutex mutex_;
  std::condition_variable work_ready_;      // workers wait for tasks_
  std::condition_variable dispatcher_;      // the dispatcher waits for room or a wake
  std::condition_variable all_idle_;        // Stop waits for running_ == 0
  std::deque<QueuedMessageInfo> tasks_;     // claimed, not started
  std::map<std::string, int> in_progress_;  // domain -> claimed and not finished
  int running_ = 0;
  bool woken_ = false;
  bool stopping_ = false;
  bool started_ = false;
  std::thread dispatcher_thread_;
  std::vector<std::thread> worker_threads_;
};

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_DELIVERY_ENGINE_H_
