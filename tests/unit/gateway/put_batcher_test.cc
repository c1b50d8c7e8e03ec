// PutBatcher against an in-process MailStore service: grouping while calls
// are out, the limits of a batch, one outcome per put, failed calls, and the
// fallback to Put for a mailstore without PutBatch.
#include "services/gateway/put_batcher.h"

#include <grpcpp/grpcpp.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/strand.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cmtp/v1/mailstore.grpc.pb.h"
#include "gtest/gtest.h"
#include "lib/rpc/server.h"
#include "tests/support/process.h"

namespace cmtp::gateway {
namespace {

namespace v1 = cmtp::v1;
using std::chrono::milliseconds;

// Answers each put with its size; a put to mailbox "full" fails alone. While
// held, PutBatch calls wait (so that later puts pile up behind them).
class RecordingMailStore : public v1::MailStore::Service {
 public:
  grpc::Status PutBatch(grpc::ServerContext*, const v1::PutBatchRequest* request,
                        v1::PutBatchResponse* response) override {
    std::unique_lock<std::mutex> lock(mutex_);
    batch_sizes_.push_back(request->puts_size());
    changed_.notify_all();
    changed_.wait(lock, [this] { return !held_; });
    if (fail_calls_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "redis is down");
    for (const v1::PutRequest& put : request->puts()) {
      v1::PutOutcome* outcome = response->add_outcomes();
      if (put.mailbox() == "full") {
        outcome->set_code(grpc::StatusCode::RESOURCE_EXHAUSTED);
        outcome->set_error("mailbox full");
        continue;
      }
      v1::MessageMeta* meta = outcome->mutable_response()->mutable_meta();
      meta->set_message_id(put.message_id());
      meta->set_size(put.blob().size());
      meta->set_src_account(put.src_account());
    }
    return grpc::Status::OK;
  }

  // A message too large for a batch comes alone, and is never held.
  grpc::Status Put(grpc::ServerContext*, const v1::PutRequest* request,
                   v1::PutResponse* response) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++single_puts_;
    response->mutable_meta()->set_message_id(request->message_id());
    response->mutable_meta()->set_size(request->blob().size());
    return grpc::Status::OK;
  }

  void Hold() {
    std::lock_guard<std::mutex> lock(mutex_);
    held_ = true;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mutex_);
    held_ = false;
    changed_.notify_all();
  }
  void FailCalls() {
    std::lock_guard<std::mutex> lock(mutex_);
    fail_calls_ = true;
  }
  // Waits until `calls` PutBatch calls have arrived.
  bool WaitForCalls(size_t calls) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10),
                             [&] { return batch_sizes_.size() >= calls; });
  }
  std::vector<int> BatchSizes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return batch_sizes_;
  }
  int SinglePuts() {
    std::lock_guard<std::mutex> lock(mutex_);
    return single_puts_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool held_ = false;
  bool fail_calls_ = false;
  std::vector<int> batch_sizes_;
  int single_puts_ = 0;
};

// Knows Put only, as a mailstore from before PutBatch.
class OldMailStore final : public v1::MailStore::Service {
 public:
  grpc::Status Put(grpc::ServerContext*, const v1::PutRequest* request,
                   v1::PutResponse* response) override {
    std::lock_guard<std::mutex> lock(mutex);
    ++puts;
    response->mutable_meta()->set_message_id(request->message_id());
    response->mutable_meta()->set_size(request->blob().size());
    return grpc::Status::OK;
  }
  std::mutex mutex;
  int puts = 0;
};

class PutBatcherTest : public ::testing::Test {
 protected:
  void Serve(grpc::Service& service) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  std::unique_ptr<PutBatcher> MakeBatcher(BatchingOptions options) {
    return std::make_unique<PutBatcher>(
        rpc::MakeChannel("127.0.0.1:" + std::to_string(port_)), milliseconds(5000),
        options);
  }
  void TearDown() override {
    if (runner_.joinable()) ReleaseAndFinishRunner();
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    }
  }

  // Deliveries to `mailbox` with `size`-byte blobs, numbered from `first`.
  static std::vector<Delivery> Deliveries(int count, const std::string& mailbox,
                                          size_t size = 10, int first = 0) {
    std::vector<Delivery> deliveries;
    for (int i = first; i < first + count; ++i) {
      char id[33];
      std::snprintf(id, sizeof(id), "%032x", i);
      deliveries.push_back({mailbox, id,
                            std::string(size, static_cast<char>('a' + i % 26)), "alice",
                            "example.org", ""});
    }
    return deliveries;
  }

  // Starts a put of each delivery on `io` (which a test thread runs); the
  // outcomes land in `outcomes`, in order.
  static void StartPuts(asio::io_context& io, PutBatcher& batcher,
                        std::vector<Delivery>& deliveries,
                        std::vector<absl::StatusOr<MessageMeta>>& outcomes) {
    outcomes.assign(deliveries.size(), absl::InternalError("not done"));
    for (size_t i = 0; i < deliveries.size(); ++i) {
      asio::co_spawn(
          asio::make_strand(io),
          [&batcher, &deliveries, &outcomes, i]() -> asio::awaitable<void> {
            outcomes[i] = co_await batcher.Call(deliveries[i]);
          },
          asio::detached);
    }
  }

  // Holds the mailstore's PutBatch calls and sends a first put, which is then
  // out (and waiting) while a test queues more behind it with PutBehind; an
  // io_context thread runs the sessions until ReleaseAndFinish.
  void HoldAFirstCall(RecordingMailStore& mailstore, PutBatcher& batcher) {
    mailstore.Hold();
    runner_ = std::thread([this] { io_.run(); });
    PutBehind(batcher, first_, first_outcomes_);
    ASSERT_TRUE(mailstore.WaitForCalls(1));
  }
  void PutBehind(PutBatcher& batcher, std::vector<Delivery>& deliveries,
                 std::vector<absl::StatusOr<MessageMeta>>& outcomes) {
    asio::post(io_, [&] { StartPuts(io_, batcher, deliveries, outcomes); });
  }
  void ReleaseAndFinish(RecordingMailStore& mailstore) {
    mailstore.Release();
    ReleaseAndFinishRunner();
  }
  void ReleaseAndFinishRunner() {
    guard_.reset();
    runner_.join();
  }

  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ =
      asio::make_work_guard(io_);
  std::thread runner_;
  std::vector<Delivery> first_ = Deliveries(1, "bob");
  std::vector<absl::StatusOr<MessageMeta>> first_outcomes_;
};

TEST_F(PutBatcherTest, PutsArrivingWhileACallIsOutGoTogetherInTheNext) {
  RecordingMailStore mailstore;
  Serve(mailstore);
  auto batcher = MakeBatcher({.max_in_flight = 1, .max_items = 64, .max_bytes = 1 << 20});
  ASSERT_NO_FATAL_FAILURE(HoldAFirstCall(mailstore, *batcher));
  std::vector<Delivery> later = Deliveries(5, "bob", 10, 1);
  std::vector<absl::StatusOr<MessageMeta>> later_outcomes;
  PutBehind(*batcher, later, later_outcomes);
  std::this_thread::sleep_for(milliseconds(200));  // all five wait behind the first
  EXPECT_EQ(mailstore.BatchSizes(), std::vector<int>{1});
  ReleaseAndFinish(mailstore);
  EXPECT_EQ(mailstore.BatchSizes(), (std::vector<int>{1, 5}));
  ASSERT_TRUE(first_outcomes_[0].ok()) << first_outcomes_[0].status();
  for (size_t i = 0; i < later.size(); ++i) {
    ASSERT_TRUE(later_outcomes[i].ok()) << later_outcomes[i].status();
    EXPECT_EQ(later_outcomes[i]->message_id, later[i].message_id);
    EXPECT_EQ(later[i].blob, std::string(10, static_cast<char>('a' + (i + 1) % 26)))
        << "the blob is handed back";
  }
}

TEST_F(PutBatcherTest, ABatchKeepsToItsCountAndByteLimits) {
  RecordingMailStore mailstore;
  Serve(mailstore);
  auto batcher = MakeBatcher({.max_in_flight = 1, .max_items = 3, .max_bytes = 250});
  ASSERT_NO_FATAL_FAILURE(HoldAFirstCall(mailstore, *batcher));
  // Waiting: 4 small (3 + 1 by count), then 2 of 200 bytes (one each, by
  // bytes). One of 1000 bytes, over the byte limit by itself, goes at once
  // in a Put of its own while the batch call is still held.
  std::vector<Delivery> waiting = Deliveries(4, "bob", 10, 1);
  for (Delivery& d : Deliveries(2, "bob", 200, 5)) waiting.push_back(std::move(d));
  for (Delivery& d : Deliveries(1, "bob", 1000, 7)) waiting.push_back(std::move(d));
  std::vector<absl::StatusOr<MessageMeta>> outcomes;
  PutBehind(*batcher, waiting, outcomes);
  ASSERT_TRUE(cmtp::testing::WaitFor([&] { return mailstore.SinglePuts() == 1; },
                                     std::chrono::seconds(10)));
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(mailstore.BatchSizes(), std::vector<int>{1});
  ReleaseAndFinish(mailstore);
  // The small one after the first three shares a batch with a 200-byte one.
  EXPECT_EQ(mailstore.BatchSizes(), (std::vector<int>{1, 3, 2, 1}));
  EXPECT_EQ(mailstore.SinglePuts(), 1);
  for (size_t i = 0; i < outcomes.size(); ++i) {
    ASSERT_TRUE(outcomes[i].ok()) << i << ": " << outcomes[i].status();
    EXPECT_EQ(outcomes[i]->size, waiting[i].blob.size());
  }
}

TEST_F(PutBatcherTest, EachPutOfABatchHasItsOwnOutcome) {
  RecordingMailStore mailstore;
  Serve(mailstore);
  auto batcher = MakeBatcher({.max_in_flight = 1, .max_items = 64, .max_bytes = 1 << 20});
  ASSERT_NO_FATAL_FAILURE(HoldAFirstCall(mailstore, *batcher));
  std::vector<Delivery> mixed = Deliveries(1, "bob", 10, 1);
  for (Delivery& d : Deliveries(1, "full", 10, 2)) mixed.push_back(std::move(d));
  for (Delivery& d : Deliveries(1, "carol", 10, 3)) mixed.push_back(std::move(d));
  std::vector<absl::StatusOr<MessageMeta>> outcomes;
  PutBehind(*batcher, mixed, outcomes);
  std::this_thread::sleep_for(milliseconds(200));
  ReleaseAndFinish(mailstore);
  EXPECT_EQ(mailstore.BatchSizes(), (std::vector<int>{1, 3}));
  EXPECT_TRUE(outcomes[0].ok()) << outcomes[0].status();
  EXPECT_EQ(outcomes[1].status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(outcomes[1].status().message(), "mailbox full");
  EXPECT_TRUE(outcomes[2].ok()) << outcomes[2].status();
}

TEST_F(PutBatcherTest, AFailedCallFailsEachOfItsPutsNamingTheMailstore) {
  RecordingMailStore mailstore;
  Serve(mailstore);
  mailstore.FailCalls();
  auto batcher = MakeBatcher({});
  asio::io_context io;
  std::vector<Delivery> deliveries = Deliveries(3, "bob");
  std::vector<absl::StatusOr<MessageMeta>> outcomes;
  StartPuts(io, *batcher, deliveries, outcomes);
  io.run();
  for (size_t i = 0; i < outcomes.size(); ++i) {
    EXPECT_EQ(outcomes[i].status().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(outcomes[i].status().message(), "mailstore unavailable: redis is down");
    EXPECT_EQ(deliveries[i].blob.size(), 10u) << "the blob is handed back";
  }
}

TEST_F(PutBatcherTest, AMailstoreWithoutPutBatchGetsOnePutPerMessage) {
  OldMailStore mailstore;
  Serve(mailstore);
  auto batcher = MakeBatcher({});
  for (int round = 0; round < 2; ++round) {
    asio::io_context io;
    std::vector<Delivery> deliveries = Deliveries(4, "bob", 10, round * 4);
    std::vector<absl::StatusOr<MessageMeta>> outcomes;
    StartPuts(io, *batcher, deliveries, outcomes);
    io.run();
    for (size_t i = 0; i < outcomes.size(); ++i) {
      ASSERT_TRUE(outcomes[i].ok()) << outcomes[i].status();
      EXPECT_EQ(outcomes[i]->message_id, deliveries[i].message_id);
      EXPECT_EQ(deliveries[i].blob.size(), 10u);
    }
  }
  std::lock_guard<std::mutex> lock(mailstore.mutex);
  EXPECT_EQ(mailstore.puts, 8);
}

TEST_F(PutBatcherTest, NoBatchingSendsOnePutPerMessage) {
  OldMailStore mailstore;
  Serve(mailstore);
  auto batcher = MakeBatcher({.max_in_flight = 0, .max_items = 64, .max_bytes = 1 << 20});
  asio::io_context io;
  std::vector<Delivery> deliveries = Deliveries(3, "bob");
  std::vector<absl::StatusOr<MessageMeta>> outcomes;
  StartPuts(io, *batcher, deliveries, outcomes);
  io.run();
  for (const auto& outcome : outcomes) EXPECT_TRUE(outcome.ok()) << outcome.status();
  std::lock_guard<std::mutex> lock(mailstore.mutex);
  EXPECT_EQ(mailstore.puts, 3);
}

}  // namespace
}  // namespace cmtp::gateway
