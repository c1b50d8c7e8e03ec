#include "services/relay/delivery_engine.h"

#include <cstdio>
#include <cstdlib>
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
  for (int i = 0; i < options_.workers; ++i) {
    worker_threads_.emplace_back([this] { WorkLoop(); });
  }
  dispatcher_thread_ = std::thread([this] { DispatchLoop(); });
}

void DeliveryEngine::Wake() {
  std::lock_guard<std::mutex> lock(mutex_);
  woken_ = true;
  dispatcher_.notify_one();
}

bool DeliveryEngine::ClaimForIdleWorkers(size_t& claimed) {
  claimed = 0;
  size_t free_workers = 0;
  std::map<std::string, int> busy;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const int occupied = running_ + static_cast<int>(tasks_.size());
    if (stopping_ || occupied >= options_.workers) return true;
    free_workers = static_cast<size_t>(options_.workers - occupied);
    busy = in_progress_;
  }
  // Only this thread claims, so `busy` can only shrink meanwhile: the
  // per-destination limit holds.
  absl::StatusOr<std::vector<QueuedMessageInfo>> batch =
      queue_.Claim(free_workers, busy, options_.max_per_destination);
  if (!batch.ok()) {
    static std::chrono::steady_clock::time_point last_logged;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_logged >= kErrorLogInterval) {
      last_logged = now;
      std::fprintf(stderr, "relay: cannot claim due messages: %s\n",
                   std::string(batch.status().message()).c_str());
    }
    return false;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  for (QueuedMessageInfo& message : *batch) {
    ++in_progress_[message.dst_domain];
    tasks_.push_back(std::move(message));
  }
  claimed = batch->size();
  if (claimed > 0) work_ready_.notify_all();
  return true;
}

void DeliveryEngine::DispatchLoop() {
  for (;;) {
    size_t claimed = 0;
    const bool ok = ClaimForIdleWorkers(claimed);
    idle_.CloseExpired();
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopping_) return;
    // A full batch may mean more is due: look again as soon as a worker is
    // free. Otherwise wait for the poll interval or a wake.
    const bool more_may_be_due = ok && claimed > 0;
    dispatcher_.wait_for(lock, options_.poll_interval, [&] {
      if (stopping_ || woken_) return true;
      const int occupied = running_ + static_cast<int>(tasks_.size());
      return more_may_be_due && occupied < options_.workers;
    });
    woken_ = false;
    if (stopping_) return;
  }
}

void DeliveryEngine::WorkLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
    if (stopping_) return;
    QueuedMessageInfo task = std::move(tasks_.front());
    tasks_.pop_front();
    ++running_;
    lock.unlock();
    processor_.Process(task);
    lock.lock();
    --running_;
    if (--in_progress_[task.dst_domain] <= 0) in_progress_.erase(task.dst_domain);
    dispatcher_.notify_one();
    if (running_ == 0) all_idle_.notify_all();
  }
}

void DeliveryEngine::ReleaseUnstarted() {
  std::deque<QueuedMessageInfo> unstarted;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    unstarted.swap(tasks_);
    for (const QueuedMessageInfo& message : unstarted) {
      if (--in_progress_[message.dst_domain] <= 0) {
        in_progress_.erase(message.dst_domain);
      }
    }
  }
  for (const QueuedMessageInfo& message : unstarted) {
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
  if (!finished) return false;
  for (std::thread& thread : worker_threads_) thread.join();
  worker_threads_.clear();
  return true;
}

size_t DeliveryEngine::DrainDue() {
  size_t processed = 0;
  for (;;) {
    absl::StatusOr<std::vector<QueuedMessageInfo>> batch = queue_.Claim(
        static_cast<size_t>(options_.workers), {}, options_.max_per_destination);
    if (!batch.ok() || batch->empty()) return processed;
    for (const QueuedMessageInfo& message : *batch) {
      processor_.Process(message);
      ++processed;
    }
  }
}

}  // namespace cmtp::relay
