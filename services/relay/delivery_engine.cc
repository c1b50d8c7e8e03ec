#include "services/relay/delivery_engine.h"

#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <utility>

namespace cmtp::relay {
namespace {

// A Redis outage would otherwise print one line per poll.
constexpr std::chrono::seconds kErrorLogInterval{10};

}  // namespace

DeliveryEngine::DeliveryEngine(OutboundQueue& queue, QueueProcessor& processor,
                               IdleConnections& idle, EngineOptions options)
    : queue_(queue), processor_(processor), idle_(idle), options_(options) {
  if (options_.workers < 1 || options_.max_per_destination < 1 ||
      options_.poll_interval.count() <= 0) {
    std::fprintf(stderr, "relay: invalid DeliveryEngine options\n");
    std::abort();
  }
}

DeliveryEngine::~DeliveryEngine() {
  if (started_) Stop(std::chrono::milliseconds(0));
  // Threads still delivering after Stop were given up on: joining would
  // block, destroying them joinable would terminate; the lease covers their
  // messages.
  for (std::thread& thread : worker_threads_) {
    if (thread.joinable()) thread.detach();
  }
}

void DeliveryEngine::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (started_) return;
  started_ = true;
  // Named for `top -H` and profiles (at most 15 characters).
  for (int i = 0; i < options_.workers; ++i) {
    worker_threads_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "relay-deliver");
      WorkLoop();
    });
  }
  dispatcher_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "relay-dispatch");
    DispatchLoop();
  });
}

void DeliveryEngine::Wake(std::string_view domain) {
  std::lock_guard<std::mutex> lock(mutex_);
  // A burst of mail to one destination would otherwise claim once per
  // message; its next finished delivery asks for the claim instead.
  if (!domain.empty() && AtCap(domain)) return;
  woken_ = true;
  dispatcher_.notify_one();
}

bool DeliveryEngine::Reserve(std::string_view domain) {
  std::lock_guard<std::mutex> lock(mutex_);
  // While a claim is on its way its counts must not change under it.
  if (!started_ || stopping_ || claim_in_flight_) return false;
  if (running_ + reserved_ + static_cast<int>(tasks_.size()) >= options_.workers) {
    return false;
  }
  if (AtCap(domain)) return false;
  ++in_progress_[std::string(domain)];
  ++reserved_;
  return true;
}

void DeliveryEngine::Hand(ClaimedMessage message) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --reserved_;
    if (!stopping_) {
      leases_[message.info.message_id] = message.info.next_attempt_ms;
      tasks_.push_back(std::move(message));
      work_ready_.notify_one();
      return;
    }
    FreeSlot(message.info.dst_domain);
  }
  // Stopping: due now again, for another replica, like every unstarted task.
  absl::StatusOr<bool> released = queue_.Release(message.info.message_id);
  if (!released.ok()) {
    std::fprintf(stderr, "relay: %s stays claimed until its lease ends: %s\n",
                 message.info.message_id.c_str(),
                 std::string(released.status().message()).c_str());
  }
}

void DeliveryEngine::Unreserve(std::string_view domain) {
  std::lock_guard<std::mutex> lock(mutex_);
  --reserved_;
  FreeSlot(domain);
  if (DispatcherHasWork()) dispatcher_.notify_one();
}

bool DeliveryEngine::ClaimForIdleWorkers(size_t& claimed, size_t& asked) {
  claimed = 0;
  asked = 0;
  size_t free_workers = 0;
  std::map<std::string, int> busy;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // What happens from here on (a wake, a finished delivery) asks for the
    // next claim; what happened before is covered by this one.
    woken_ = false;
    finished_since_claim_ = 0;
    const int occupied = running_ + reserved_ + static_cast<int>(tasks_.size());
    if (stopping_ || occupied >= options_.workers) return true;
    free_workers = static_cast<size_t>(options_.workers - occupied);
    asked = free_workers;
    busy = in_progress_;
    claim_in_flight_ = true;
  }
  // Only this thread claims and no reservation is made meanwhile, so `busy`
  // can only shrink: the per-destination limit holds.
  absl::StatusOr<std::vector<ClaimedMessage>> batch =
      queue_.Claim(free_workers, busy, options_.max_per_destination);
  if (!batch.ok()) {
    static std::chrono::steady_clock::time_point last_logged;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_logged >= kErrorLogInterval) {
      last_logged = now;
      std::fprintf(stderr, "relay: cannot claim due messages: %s\n",
                   std::string(batch.status().message()).c_str());
    }
    std::lock_guard<std::mutex> lock(mutex_);
    claim_in_flight_ = false;
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    claim_in_flight_ = false;
    for (ClaimedMessage& message : *batch) {
      ++in_progress_[message.info.dst_domain];
      leases_[message.info.message_id] = message.info.next_attempt_ms;
      tasks_.push_back(std::move(message));
    }
  }
  claimed = batch->size();
  // One worker per task: waking them all would send most straight back to
  // sleep, two thread switches each for nothing.
  for (size_t i = 0; i < claimed; ++i) work_ready_.notify_one();
  return true;
}

bool DeliveryEngine::DispatcherHasWork() const {
  if (stopping_ || woken_) return true;
  const int occupied = running_ + reserved_ + static_cast<int>(tasks_.size());
  if (occupied >= options_.workers) return false;
  return more_may_be_due_ || finished_since_claim_ >= claim_batch_ ||
         (finished_since_claim_ > 0 && occupied == 0);
}

void DeliveryEngine::DispatchLoop() {
  // Renewal needs a few looks per lease, whatever the poll interval.
  const auto wait = std::min<std::chrono::milliseconds>(
      options_.poll_interval,
      std::chrono::milliseconds(std::max<int64_t>(1, queue_.options().lease_ms / 4)));
  auto next_periodic = std::chrono::steady_clock::now();
  // A destination at its cap frees its slots one delivery at a time; claiming
  // after each would cost a round trip per delivery, so a few finished
  // deliveries are gathered first (and removed in one go).
  {
    std::lock_guard<std::mutex> lock(mutex_);
    claim_batch_ =
        std::max(1, std::min(options_.max_per_destination, options_.workers) / 4);
  }
  for (;;) {
    FinishDelivered();
    size_t claimed = 0;
    size_t asked = 0;
    const bool ok = ClaimForIdleWorkers(claimed, asked);
    RenewLeases();
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_periodic) {
      next_periodic = now + options_.poll_interval;
      idle_.CloseExpired();
      if (options_.periodic) options_.periodic();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopping_) return;
    // A claim that filled every free worker may have left more behind: claim
    // again as soon as a worker is free. Finished deliveries free workers
    // and slots of their destinations, whose backlog the last claim may have
    // had to skip: claim again once a few did, or at once when all are idle.
    // Otherwise wait for a wake or the poll interval.
    more_may_be_due_ = ok && asked > 0 && claimed == asked;
    dispatcher_.wait_for(lock, wait, [this] { return DispatcherHasWork(); });
    if (stopping_) return;
  }
}

void DeliveryEngine::RenewLeases() {
  const int64_t now = queue_.NowMs();
  const int64_t half = queue_.options().lease_ms / 2;
  std::vector<std::string> due;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [id, lease_end] : leases_) {
      if (lease_end - now <= half) due.push_back(id);
    }
  }
  for (const std::string& id : due) {
    absl::StatusOr<std::optional<int64_t>> renewed = queue_.RenewLease(id);
    if (!renewed.ok()) {
      // Tried again on the next look; should the lease run out meanwhile,
      // the peer deduplicates a second delivery by id.
      std::fprintf(stderr, "relay: cannot renew the lease of %s: %s\n", id.c_str(),
                   std::string(renewed.status().message()).c_str());
      continue;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = leases_.find(id);
    if (it == leases_.end()) continue;  // finished meanwhile
    if (renewed->has_value()) {
      it->second = **renewed;
    } else {
      // Finished between the look and the renewal: nothing left to renew.
      leases_.erase(it);
    }
  }
}

bool DeliveryEngine::AtCap(std::string_view domain) const {
  auto busy = in_progress_.find(std::string(domain));
  return busy != in_progress_.end() && busy->second >= options_.max_per_destination;
}

void DeliveryEngine::FreeSlot(std::string_view domain) {
  auto busy = in_progress_.find(std::string(domain));
  if (busy != in_progress_.end() && --busy->second <= 0) in_progress_.erase(busy);
}

void DeliveryEngine::Forget(const QueuedMessageInfo& message) {
  FreeSlot(message.dst_domain);
  leases_.erase(message.message_id);
}

void DeliveryEngine::FinishDelivered() {
  std::vector<DeliveredMessage> batch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batch.swap(delivered_);
  }
  if (batch.empty()) return;
  processor_.FinishDelivered(batch);
  std::lock_guard<std::mutex> lock(mutex_);
  for (const DeliveredMessage& message : batch) leases_.erase(message.info.message_id);
}

void DeliveryEngine::WorkLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
    if (stopping_) return;
    ClaimedMessage task = std::move(tasks_.front());
    tasks_.pop_front();
    ++running_;
    lock.unlock();
    std::optional<DeliveredMessage> delivered = processor_.Process(task);
    lock.lock();
    --running_;
    if (delivered.has_value()) {
      FreeSlot(task.info.dst_domain);
      delivered_.push_back(*std::move(delivered));
    } else {
      Forget(task.info);
    }
    ++finished_since_claim_;
    if (DispatcherHasWork()) dispatcher_.notify_one();
    if (running_ == 0) all_idle_.notify_all();
  }
}

void DeliveryEngine::ReleaseUnstarted() {
  std::deque<ClaimedMessage> unstarted;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    unstarted.swap(tasks_);
    for (const ClaimedMessage& message : unstarted) Forget(message.info);
  }
  for (const ClaimedMessage& claimed : unstarted) {
    const QueuedMessageInfo& message = claimed.info;
    absl::StatusOr<bool> released = queue_.Release(message.message_id);
    if (!released.ok()) {
      std::fprintf(stderr, "relay: %s stays claimed until its lease ends: %s\n",
                   message.message_id.c_str(),
                   std::string(released.status().message()).c_str());
    }
  }
}

bool DeliveryEngine::Stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!started_) return true;
    started_ = false;
    stopping_ = true;
    work_ready_.notify_all();
    dispatcher_.notify_all();
  }
  if (dispatcher_thread_.joinable()) dispatcher_thread_.join();
  ReleaseUnstarted();
  bool finished = false;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    finished = all_idle_.wait_for(lock, grace, [this] { return running_ == 0; });
  }
  // Deliveries made: removed now rather than delivered again after their
  // leases (the peers would deduplicate them, but it is work for nothing).
  FinishDelivered();
  if (!finished) return false;
  for (std::thread& thread : worker_threads_) thread.join();
  worker_threads_.clear();
  return true;
}

size_t DeliveryEngine::DrainDue() {
  size_t processed = 0;
  for (;;) {
    absl::StatusOr<std::vector<ClaimedMessage>> batch = queue_.Claim(
        static_cast<size_t>(options_.workers), {}, options_.max_per_destination);
    if (!batch.ok() || batch->empty()) return processed;
    std::vector<DeliveredMessage> delivered;
    for (const ClaimedMessage& message : *batch) {
      std::optional<DeliveredMessage> done = processor_.Process(message);
      if (done.has_value()) delivered.push_back(*std::move(done));
      ++processed;
    }
    processor_.FinishDelivered(delivered);
  }
}

}  // namespace cmtp::relay
