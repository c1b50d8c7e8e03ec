// ConnectionPool in Sentinel mode against real redis-server and sentinel
// processes: finding the master, refusing a server that is not the master,
// failing fast while there is none, and following a failover.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "lib/redis/client.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/redis_sentinel.h"
#include "tests/support/redis_server.h"

namespace cmtp::redis {
namespace {

using ::cmtp::testing::FreePort;
using ::cmtp::testing::RedisNode;
using ::cmtp::testing::RedisServer;
using ::cmtp::testing::SentinelNode;
using ::cmtp::testing::SentinelOptions;
using ::cmtp::testing::SentinelTopology;
using ::cmtp::testing::WaitFor;

constexpr char kName[] = "cmtp-test";

std::string DeadAddress() { return "127.0.0.1:" + std::to_string(FreePort()); }

std::unique_ptr<ConnectionPool> SentinelPool(const std::vector<std::string>& sentinels,
                                             const std::string& name = kName) {
  PoolOptions options;
  options.address = DeadAddress();  // must not be used
  options.sentinels = sentinels;
  options.master_name = name;
  options.size = 4;
  options.connect_timeout = std::chrono::milliseconds(500);
  options.command_timeout = std::chrono::seconds(5);
  auto pool = ConnectionPool::Create(options);
  if (!pool.ok()) {
    ADD_FAILURE() << pool.status();
    return nullptr;
  }
  return *std::move(pool);
}

// How many normal clients (not replication links) of `node` ran `command`
// last, from its CLIENT LIST.
int NormalClientsRunning(const RedisServer& node, const std::string& command) {
  std::string list = node.Cli({"CLIENT", "LIST"});
  int count = 0;
  size_t start = 0;
  while (start < list.size()) {
    size_t end = list.find('\n', start);
    std::string line = list.substr(start, end == std::string::npos ? end : end - start);
    if (absl::StrContains(line, " flags=N ") &&
        absl::StrContains(line, " cmd=" + command + " ")) {
      ++count;
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return count;
}

TEST(RedisSentinelOptions, SentinelModeNeedsANameAndValidAddresses) {
  PoolOptions options;
  options.sentinels = {"127.0.0.1:26379"};
  EXPECT_EQ(ConnectionPool::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.master_name = "m";
  EXPECT_TRUE(ConnectionPool::Create(options).ok());
  options.sentinels.push_back("no-port");
  EXPECT_EQ(ConnectionPool::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.sentinels.clear();
  EXPECT_EQ(ConnectionPool::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument)
      << "a master name without sentinels is a mistake, not ignored";
}

TEST(RedisSentinelOptions, DescribeTargetNamesTheMasterAndSentinels) {
  PoolOptions options;
  options.address = "10.0.0.1:6379";
  EXPECT_EQ(DescribeTarget(options), "redis at 10.0.0.1:6379");
  options.sentinels = {"a:1", "b:2"};
  options.master_name = "m";
  EXPECT_EQ(DescribeTarget(options), "redis master \"m\" via sentinels a:1,b:2");
}

TEST(RedisSentinelDown, NoSentinelAnsweringFailsAtOnceNamingEach) {
  std::string first = DeadAddress();
  std::string second = DeadAddress();
  auto pool = SentinelPool({first, second});
  auto started = std::chrono::steady_clock::now();
  auto reply = pool->Command({"PING"});
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable);
  std::string message(reply.status().message());
  EXPECT_TRUE(absl::StrContains(message, "redis master \"cmtp-test\"")) << message;
  EXPECT_TRUE(absl::StrContains(message, "no master found")) << message;
  EXPECT_TRUE(absl::StrContains(message, "sentinel " + first)) << message;
  EXPECT_TRUE(absl::StrContains(message, "sentinel " + second)) << message;
  EXPECT_LT(took, std::chrono::seconds(1));
}

// A master, a replica of it, and two single sentinels: one watching the
// master, one watching the replica as if it were the master (a stale or
// misconfigured sentinel).
class TwoNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(a_.Start());
    ASSERT_TRUE(b_.Start());
    ASSERT_EQ(a_.Cli({"CONFIG", "SET", "repl-diskless-sync-delay", "0"}), "OK");
    ASSERT_EQ(b_.Cli({"REPLICAOF", "127.0.0.1", std::to_string(a_.port())}), "OK");
    ASSERT_TRUE(WaitFor([&] {
      return absl::StrContains(a_.Cli({"INFO", "replication"}), "state=online");
    }));
    SentinelOptions options;
    options.master_name = kName;
    options.quorum = 1;
    options.down_after = std::chrono::minutes(1);  // no failover of their own
    options.failover_timeout = std::chrono::minutes(1);
    ASSERT_TRUE(good_.Start(a_.address(), options));
    ASSERT_TRUE(stale_.Start(b_.address(), options));
  }

  RedisServer a_;
  RedisServer b_;
  SentinelNode good_;
  SentinelNode stale_;
};

TEST_F(TwoNodesTest, FindsTheMasterAndIgnoresTheConfiguredAddress) {
  auto pool = SentinelPool({good_.address()});
  auto set = pool->Command({"SET", "k", "v"});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(a_.Cli({"GET", "k"}), "v");
}

TEST_F(TwoNodesTest, AServerWhoseRoleIsNotMasterIsRefused) {
  auto only_stale = SentinelPool({stale_.address()});
  auto refused = only_stale->Command({"GET", "k"});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(refused.status().message(),
                                "names " + b_.address() + ": its ROLE is slave"))
      << refused.status();

  // The next sentinel in the list is asked after the stale one.
  auto both = SentinelPool({stale_.address(), good_.address()});
  for (int i = 0; i < 3; ++i) {
    auto set = both->Command({"SET", "k", std::to_string(i)});
    ASSERT_TRUE(set.ok()) << set.status();
  }
  EXPECT_EQ(a_.Cli({"GET", "k"}), "2");
}

TEST_F(TwoNodesTest, UnknownMasterNameIsUnavailable) {
  auto pool = SentinelPool({good_.address()}, "no-such-master");
  auto reply = pool->Command({"PING"});
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(reply.status().message(),
                                "does not know a master called \"no-such-master\""))
      << reply.status();
}

// A master demoted without its clients being killed (Sentinel kills them
// itself; an operator's REPLICAOF does not): the pooled connection answers
// READONLY, is dropped, and the write goes to the master the sentinel names now.
TEST_F(TwoNodesTest, ReadOnlyReplyDropsTheConnectionAndTheWriteGoesToTheNewMaster) {
  auto pool = SentinelPool({good_.address()});
  ASSERT_TRUE(pool->Command({"SET", "k", "1"}).ok());
  ASSERT_EQ(NormalClientsRunning(a_, "set"), 1);

  // Swap the roles: b becomes the master, a its replica; the sentinel is
  // told (as after a failover it had run).
  ASSERT_EQ(b_.Cli({"REPLICAOF", "NO", "ONE"}), "OK");
  ASSERT_EQ(a_.Cli({"REPLICAOF", "127.0.0.1", std::to_string(b_.port())}), "OK");
  ASSERT_EQ(good_.Cli({"SENTINEL", "REMOVE", kName}), "OK");
  ASSERT_EQ(good_.Cli({"SENTINEL", "MONITOR", kName, "127.0.0.1",
                       std::to_string(b_.port()), "1"}),
            "OK");
  ASSERT_EQ(NormalClientsRunning(a_, "set"), 1) << "the pool's connection is still open";

  // One call, no error: READONLY meant nothing ran, so it was sent again.
  auto set = pool->Command({"SET", "k", "2"});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(b_.Cli({"GET", "k"}), "2");
  EXPECT_EQ(NormalClientsRunning(a_, "set"), 0) << "the stale connection was closed";

  // A pipeline of which something ran before the READONLY is not sent again:
  // swap back, and the pooled connection (now to a replica) serves the read
  // and refuses the write.
  ASSERT_EQ(a_.Cli({"REPLICAOF", "NO", "ONE"}), "OK");
  ASSERT_EQ(b_.Cli({"REPLICAOF", "127.0.0.1", std::to_string(a_.port())}), "OK");
  ASSERT_EQ(good_.Cli({"SENTINEL", "REMOVE", kName}), "OK");
  ASSERT_EQ(good_.Cli({"SENTINEL", "MONITOR", kName, "127.0.0.1",
                       std::to_string(a_.port()), "1"}),
            "OK");
  auto mixed = pool->Pipeline({{"GET", "k"}, {"INCR", "counter"}});
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(IsRedisError(mixed.status(), "READONLY")) << mixed.status();
  // The next call rediscovers: the INCR runs once, on a.
  auto incr = pool->Command({"INCR", "counter"});
  ASSERT_TRUE(incr.ok()) << incr.status();
  EXPECT_EQ(incr->integer, 1);
  EXPECT_EQ(a_.Cli({"GET", "counter"}), "1");
}

TEST(RedisSentinelFailover, CallsFailFastDuringTheFailoverThenReachTheNewMaster) {
  SentinelTopology topology;
  ASSERT_TRUE(topology.Start());
  auto pool = SentinelPool(topology.sentinel_addresses(), topology.master_name());
  // Acknowledged by the replica before the master dies.
  auto written = pool->Pipeline({{"SET", "k", "before"}, {"WAIT", "1", "2000"}});
  ASSERT_TRUE(written.ok()) << written.status();
  ASSERT_EQ((*written)[1].integer, 1);

  std::string old_master = topology.KillMaster();
  ASSERT_FALSE(old_master.empty());
  auto started = std::chrono::steady_clock::now();
  auto down = pool->Command({"SET", "k", "during"});
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(down.ok()) << "the sentinels cannot have failed over yet";
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(down.status().message(), "no master found"))
      << down.status();
  EXPECT_LT(took, std::chrono::seconds(2));

  RedisNode* new_master = topology.WaitForNewMaster(old_master);
  ASSERT_NE(new_master, nullptr);
  auto get = pool->Command({"GET", "k"});
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->str, "before");
  auto set = pool->Command({"SET", "k", "after"});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(new_master->Cli({"GET", "k"}), "after");
}

}  // namespace
}  // namespace cmtp::redis
