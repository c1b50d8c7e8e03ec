// The issue's proof of Redis HA: a real cmtp-mailstore finding its master
// through three sentinels, with --wait-replicas 1, takes a stream of Puts
// while the master is SIGKILLed. The stream goes on after the failover, every
// failure meanwhile is UNAVAILABLE, and every Put that was acknowledged OK is
// readable afterwards from the new master.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "cmtp/v1/mailstore.grpc.pb.h"
#include "lib/rpc/server.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/redis_sentinel.h"

namespace cmtp {
namespace {

using ::cmtp::testing::FreePort;
using ::cmtp::testing::MakeTempDir;
using ::cmtp::testing::Process;
using ::cmtp::testing::RedisNode;
using ::cmtp::testing::SentinelTopology;
using ::cmtp::testing::WaitFor;
using ::cmtp::testing::WaitForPortFile;

const std::string kBinary =
    std::string(CMTP_BINARY_DIR) + "/services/mailstore/cmtp-mailstore";
constexpr char kMailbox[] = "alice";
constexpr int kAcknowledgedPerPhase = 20;

std::string MessageId(int i) {
  char id[33];
  std::snprintf(id, sizeof(id), "%032x", i);
  return id;
}

std::string Blob(int i) { return "encrypted mail #" + std::to_string(i); }

struct PutOutcome {
  int index = 0;
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
};

class MailstoreFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(topology_.Start());
    dir_ = MakeTempDir("cmtp-mailstore-failover-");
    std::string port_file = dir_ + "/mailstore.port";
    ASSERT_TRUE(process_.Start(
        {kBinary, "--listen", "127.0.0.1:0", "--port-file", port_file,
         // Nothing listens there: the sentinels alone say where Redis is.
         "--redis", "127.0.0.1:" + std::to_string(FreePort()), "--redis-sentinels",
         topology_.SentinelsFlag(), "--redis-master-name", topology_.master_name(),
         "--wait-replicas", "1", "--wait-timeout-ms", "500", "--redis-connections", "4"},
        {}, dir_ + "/mailstore.log"));
    int port = WaitForPortFile(port_file);
    ASSERT_GT(port, 0) << "no port file; see " << dir_ << "/mailstore.log";
    stub_ = v1::MailStore::NewStub(rpc::MakeChannel("127.0.0.1:" + std::to_string(port)));
  }

  grpc::Status Put(int i) {
    v1::PutRequest request;
    request.set_mailbox(kMailbox);
    request.set_message_id(MessageId(i));
    request.set_blob(Blob(i));
    request.set_src_account("bob");
    request.set_src_domain("example.org");
    v1::PutResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub_->Put(&context, request, &response);
  }

  grpc::Status Get(int i, v1::GetResponse* response) {
    v1::GetRequest request;
    request.set_mailbox(kMailbox);
    request.set_message_id(MessageId(i));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub_->Get(&context, request, response);
  }

  // OK outcomes so far, and those at or after `from` (an index into outcomes_).
  int Acknowledged(size_t from = 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    int ok = 0;
    for (size_t i = from; i < outcomes_.size(); ++i) {
      ok += outcomes_[i].code == grpc::StatusCode::OK;
    }
    return ok;
  }
  size_t OutcomeCount() {
    std::lock_guard<std::mutex> lock(mutex_);
    return outcomes_.size();
  }

  SentinelTopology topology_;
  std::string dir_;
  Process process_;
  std::unique_ptr<v1::MailStore::Stub> stub_;
  std::mutex mutex_;
  std::vector<PutOutcome> outcomes_;  // guarded by mutex_
};

TEST_F(MailstoreFailoverTest, EveryAcknowledgedPutSurvivesTheMastersDeath) {
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      grpc::Status status = Put(i);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        outcomes_.push_back({i, status.error_code(), status.error_message()});
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  // Stops the writer on every way out, a failed ASSERT included.
  struct StopWriter {
    std::atomic<bool>& stop;
    std::thread& writer;
    ~StopWriter() {
      stop.store(true);
      if (writer.joinable()) writer.join();
    }
  } stop_writer{stop, writer};

  ASSERT_TRUE(WaitFor([&] { return Acknowledged() >= kAcknowledgedPerPhase; }))
      << "no stream of acknowledged Puts; see " << dir_ << "/mailstore.log";
  std::string old_master = topology_.KillMaster();
  ASSERT_FALSE(old_master.empty());
  size_t killed_at = OutcomeCount();

  RedisNode* new_master = topology_.WaitForNewMaster(old_master);
  ASSERT_NE(new_master, nullptr) << "the sentinels did not fail over";
  // Until the new master has a replica again, WAIT 1 cannot succeed: the
  // killed node comes back as its replica.
  ASSERT_TRUE(topology_.RestartKilledAsReplicas());
  size_t recovered_at = OutcomeCount();
  ASSERT_TRUE(WaitFor([&] {
    return Acknowledged(recovered_at) >= kAcknowledgedPerPhase;
  })) << "the stream did not resume after the failover; see "
      << dir_ << "/mailstore.log";
  stop.store(true);
  writer.join();

  std::vector<int> acknowledged;
  std::vector<int> failed;
  for (const PutOutcome& outcome : outcomes_) {
    if (outcome.code == grpc::StatusCode::OK) {
      acknowledged.push_back(outcome.index);
      continue;
    }
    failed.push_back(outcome.index);
    EXPECT_EQ(outcome.code, grpc::StatusCode::UNAVAILABLE)
        << "Put #" << outcome.index << ": " << outcome.message;
  }
  EXPECT_GE(acknowledged.size(), static_cast<size_t>(2 * kAcknowledgedPerPhase));
  EXPECT_GT(failed.size(), 0u) << "the master died in the middle of the stream";
  std::printf("%zu Puts acknowledged, %zu refused (%zu sent before the kill)\n",
              acknowledged.size(), failed.size(), killed_at);
  for (const PutOutcome& outcome : outcomes_) {
    if (outcome.code == grpc::StatusCode::OK) continue;
    std::printf("first refusal: %s\n", outcome.message.c_str());
    break;
  }
  for (auto it = outcomes_.rbegin(); it != outcomes_.rend(); ++it) {
    if (it->code == grpc::StatusCode::OK) continue;
    std::printf("last refusal: %s\n", it->message.c_str());
    break;
  }

  // Every acknowledged Put is readable through the mailstore (which now
  // talks to the new master) and is in the new master's own data.
  std::string ids =
      new_master->Cli({"HKEYS", std::string("cmtp:mbox:{") + kMailbox + "}:meta"});
  std::vector<std::string> id_list = absl::StrSplit(ids, '\n');
  std::set<std::string> on_new_master(id_list.begin(), id_list.end());
  for (int i : acknowledged) {
    EXPECT_EQ(on_new_master.count(MessageId(i)), 1u)
        << "acknowledged Put #" << i << " lost";
    v1::GetResponse got;
    grpc::Status status = Get(i, &got);
    ASSERT_TRUE(status.ok()) << "acknowledged Put #" << i << ": "
                             << status.error_message();
    EXPECT_EQ(got.blob(), Blob(i));
  }
  // What was refused may be sent again (as a client retries its MAIL) and is
  // then acknowledged too: stored fresh, or found stored and now replicated.
  for (int i : failed) {
    grpc::Status again = Put(i);
    ASSERT_TRUE(again.ok()) << "Put #" << i << " again: " << again.error_message();
    v1::GetResponse got;
    ASSERT_TRUE(Get(i, &got).ok()) << i;
    EXPECT_EQ(got.blob(), Blob(i));
  }
}

}  // namespace
}  // namespace cmtp
