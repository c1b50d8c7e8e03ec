// Redis HA for the whole suite: the keyserver and the mailstore find their
// master through three Sentinels and wait for one replica on every write; a
// client sends a stream of MAILs through the gateway while the master is
// SIGKILLed. The stream resumes after the failover, and every MAIL answered
// SUCCESS is listed afterwards, read from the promoted replica, as are the
// accounts imported before the failover.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/integration/suite.h"
#include "tests/integration/wire_client.h"
#include "tests/support/ports.h"
#include "tests/support/redis_sentinel.h"

namespace cmtp::integration {
namespace {

using ::cmtp::testing::ReadFileOrDie;
using ::cmtp::testing::RedisNode;
using ::cmtp::testing::SentinelTopology;
using ::cmtp::testing::VectorPath;
using ::cmtp::testing::WaitFor;

constexpr int kAcknowledgedPerPhase = 15;
constexpr char kDomain[] = "hawaii.edu";

// The services' flags for Redis behind Sentinel with WAIT 1. The suite's own
// redis-server is still started, but --redis is not used with sentinels.
std::vector<std::string> SentinelFlags(const SentinelTopology& topology) {
  return {"--redis-sentinels",   topology.SentinelsFlag(),
          "--redis-master-name", topology.master_name(),
          "--wait-replicas",     "1",
          "--wait-timeout-ms",   "500"};
}

class IntegrationSentinelFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(topology_.Start()) << "no master, replica and sentinels";
    SuiteOptions options = ForDomain(kDomain);
    options.keyserver_flags = SentinelFlags(topology_);
    options.mailstore_flags = SentinelFlags(topology_);
    suite_ = std::make_unique<Suite>(options);
    ASSERT_TRUE(suite_->Start()) << suite_->error();
    CommandResult imported = ImportReference(*suite_);
    ASSERT_EQ(imported.exit_code, 0) << Describe(imported) << suite_->Logs();
    server_pk_ = suite_->ServerPublicKey();
    alice_pk_ = ReadFileOrDie(VectorPath("alice_public.key"));
    std::optional<std::string> sk =
        OpenV1Xzibit(ReadFileOrDie(VectorPath("alice.xzibit")), "alicepw");
    ASSERT_TRUE(sk.has_value());
    alice_sk_ = *sk;
  }

  // MAIL number `i` to alice, on `client` (reconnected when the last reply
  // did not come). Records the id when answered SUCCESS.
  void SendOne(WireClient& client, bool& connected, int i) {
    if (!connected) connected = client.Connect(suite_->gateway_port());
    if (!connected) return;
    Message m;
    m.dst_account = "alice";
    m.dst_domain = kDomain;
    m.src_account = "bob";
    m.src_domain = kDomain;
    m.body = SealTo(absl::StrCat("mail #", i, " across a failover"), alice_pk_);
    const std::string bytes = SerializeMessage(m);
    std::optional<StatusReply> status;
    if (client.Send(std::string("MAIL\0", 5) + bytes)) status = client.ReadStatus();
    std::lock_guard<std::mutex> lock(mutex_);
    ++sent_;
    if (!status.has_value()) {
      client.Close();
      connected = false;
      return;
    }
    if (!status->success()) {
      refusals_.push_back(status->detail);
      return;
    }
    // A SUCCESS must be a receipt for exactly these bytes.
    EXPECT_TRUE(VerifyStatus(*status, server_pk_, bytes));
    EXPECT_EQ(status->detail, MessageId(m));
    acknowledged_.push_back(status->detail);
  }

  size_t Acknowledged() {
    std::lock_guard<std::mutex> lock(mutex_);
    return acknowledged_.size();
  }

  SentinelTopology topology_;
  std::unique_ptr<Suite> suite_;
  std::string server_pk_, alice_pk_, alice_sk_;
  std::mutex mutex_;
  int sent_ = 0;                           // guarded by mutex_
  std::vector<std::string> acknowledged_;  // guarded by mutex_
  std::vector<std::string> refusals_;      // guarded by mutex_
};

TEST_F(IntegrationSentinelFailoverTest, EveryAcknowledgedMailSurvivesTheMastersDeath) {
  std::atomic<bool> stop{false};
  std::thread sender([&] {
    WireClient client;
    bool connected = false;
    for (int i = 0; !stop.load(); ++i) {
      SendOne(client, connected, i);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  // Stops the sender on every way out, a failed ASSERT included.
  struct StopSender {
    std::atomic<bool>& stop;
    std::thread& sender;
    ~StopSender() {
      stop.store(true);
      if (sender.joinable()) sender.join();
    }
  } stop_sender{stop, sender};

  ASSERT_TRUE(WaitFor([&] { return Acknowledged() >= kAcknowledgedPerPhase; }))
      << "no stream of acknowledged MAILs\n"
      << suite_->Logs();
  const std::string old_master = topology_.KillMaster();
  ASSERT_FALSE(old_master.empty());
  RedisNode* new_master = topology_.WaitForNewMaster(old_master);
  ASSERT_NE(new_master, nullptr) << "the sentinels did not fail over";
  // WAIT 1 needs a replica again: the killed node comes back as one.
  ASSERT_TRUE(topology_.RestartKilledAsReplicas());
  const size_t recovered_at = Acknowledged();
  ASSERT_TRUE(
      WaitFor([&] { return Acknowledged() >= recovered_at + kAcknowledgedPerPhase; },
              std::chrono::seconds(30)))
      << "the stream did not resume after the failover\n"
      << suite_->Logs();
  stop.store(true);
  sender.join();

  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::printf("%d MAILs sent, %zu acknowledged, %zu refused with a reason\n", sent_,
                acknowledged_.size(), refusals_.size());
    for (const std::string& reason : refusals_) EXPECT_FALSE(reason.empty());
  }

  // alice, imported before the failover, still authenticates (the keyserver
  // reads her from the new master), and her LIST holds every acknowledged id.
  WireClient client;
  ASSERT_TRUE(client.Connect(suite_->gateway_port()));
  std::optional<StatusReply> auth =
      Authenticate(client, "alice", kDomain, alice_sk_, server_pk_);
  ASSERT_TRUE(auth.has_value()) << suite_->Logs();
  ASSERT_TRUE(auth->success()) << auth->detail << "\n" << suite_->Logs();
  std::optional<std::vector<ListEntry>> list = List(client);
  ASSERT_TRUE(list.has_value()) << suite_->Logs();
  std::set<std::string> listed;
  for (const ListEntry& entry : *list) listed.insert(entry.id);
  for (const std::string& id : acknowledged_) {
    EXPECT_EQ(listed.count(id), 1u) << "acknowledged MAIL " << id << " lost";
  }
  EXPECT_EQ(new_master->Role(), "master");
}

}  // namespace
}  // namespace cmtp::integration
