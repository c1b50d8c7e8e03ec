// The delivery workers: one dispatcher thread claims due messages (no more
// than there are idle workers, and no more than max_per_destination in
// progress per domain) and hands them to `workers` threads, each of which runs
// QueueProcessor::Process. The dispatcher claims again at once when woken (a
// message was queued or made due here), when its last claim filled every
// free worker, and when a few deliveries finished (workers and slots of their
// destinations are free again, and those may have more waiting); the poll
// interval is only the fallback that finds
// work queued by other replicas or coming due after a retry wait.
//
// Deliveries: a worker that delivered a message leaves its removal from the
// queue to the dispatcher, which removes every delivery finished since its
// last look in one round trip before it claims again (one Redis round trip
// per delivery fewer); until then the message stays claimed here.
//
// Leases: every message claimed here has its lease renewed by the dispatcher
// once half of it has passed, for as long as it is claimed here, so a slow
// attempt (a large message, a slow peer) is never delivered a second time by
// another worker; only a relay that died stops renewing.
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
#include <string_view>
#include <thread>
#include <vector>

#include "services/relay/idle_connections.h"
#include "services/relay/outbound_queue.h"
#include "services/relay/queue_processor.h"
#include "services/relay/work_sink.h"

namespace cmtp::relay {

struct EngineOptions {
  int workers = 64;
  int max_per_destination = 32;
  std::chrono::milliseconds poll_interval{200};
  // Called by the dispatcher about once per poll interval (queue depth
  // gauges and the like); may be empty.
  std::function<void()> periodic;
};

class DeliveryEngine : public WorkSink {
 public:
  // Everything must outlive the engine. `idle` is swept for expired
  // connections while the engine polls.
  DeliveryEngine(OutboundQueue& queue, QueueProcessor& processor, IdleConnections& idle,
                 EngineOptions options);
  ~DeliveryEngine() override;  // stops (without grace) if still running
  DeliveryEngine(const DeliveryEngine&) = delete;
  DeliveryEngine& operator=(const DeliveryEngine&) = delete;

  void Start();
  // Due work may be waiting (for `domain`; empty: for any): claim now
  // rather than at the next poll. A domain already at its cap here is left
  // to the claim that follows its next finished delivery.
  void Wake(std::string_view domain = {}) override;
  // WorkSink: a message queued here goes to a free worker here, when the
  // engine runs and has one (and a slot of the destination) free.
  bool Reserve(std::string_view domain) override;
  void Hand(ClaimedMessage message) override;
  void Unreserve(std::string_view domain) override;
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
  // Claims as many messages as there are free workers (`asked`; `claimed`
  // of them were due and allowed); false on an error.
  bool ClaimForIdleWorkers(size_t& claimed, size_t& asked);
  void ReleaseUnstarted();
  // Renews the leases that are half gone of the messages claimed here.
  void RenewLeases();
  // A claimed message is done with (processed or released).
  void Forget(const QueuedMessageInfo& message);
  // `domain` has max_per_destination messages in progress here.
  bool AtCap(std::string_view domain) const;
  // One of `domain`'s slots is free again (a delivery that is still to be
  // removed keeps its lease).
  void FreeSlot(std::string_view domain);
  // Removes the messages delivered since the last call from the queue.
  void FinishDelivered();
  // Whether the dispatcher, waiting, has a reason to claim now. Workers ask
  // it before waking the dispatcher, so a finished delivery that changes
  // nothing costs no thread switch. Requires `mutex_`.
  bool DispatcherHasWork() const;

  OutboundQueue& queue_;
  QueueProcessor& processor_;
  IdleConnections& idle_;
  const EngineOptions options_;

  std::mutex mutex_;
  std::condition_variable work_ready_;       // workers wait for tasks_
  std::condition_variable dispatcher_;       // the dispatcher waits for room or a wake
  std::condition_variable all_idle_;         // Stop waits for running_ == 0
  std::deque<ClaimedMessage> tasks_;         // claimed, not started
  std::vector<DeliveredMessage> delivered_;  // delivered, not yet removed
  std::map<std::string, int> in_progress_;   // domain -> claimed and not finished
  std::map<std::string, int64_t> leases_;    // id -> lease end (unix ms), claimed here
  int running_ = 0;
  int reserved_ = 0;              // workers promised to messages being queued (Reserve)
  bool claim_in_flight_ = false;  // the dispatcher is claiming: no Reserve
  bool woken_ = false;
  int finished_since_claim_ = 0;  // deliveries finished since the last claim
  // The last claim filled every free worker, so more may be due.
  bool more_may_be_due_ = false;
  // Finished deliveries gathered before claiming again (see DispatchLoop).
  int claim_batch_ = 1;
  bool stopping_ = false;
  bool started_ = false;
  std::thread dispatcher_thread_;
  std::vector<std::thread> worker_threads_;
};

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_DELIVERY_ENGINE_H_
