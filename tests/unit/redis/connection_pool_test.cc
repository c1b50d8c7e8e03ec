// ConnectionPool against a real redis-server: replies of every type, pipelines,
// Redis going away and coming back, the re-send policy, and threads.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "lib/redis/client.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"

namespace cmtp::redis {
namespace {

using ::cmtp::testing::RedisServer;
using ::cmtp::testing::WaitFor;

std::unique_ptr<ConnectionPool> MakePool(
    const std::string& address, int size = 4,
    std::chrono::milliseconds command_timeout = std::chrono::seconds(10)) {
  PoolOptions options;
  options.address = address;
  options.size = size;
  options.connect_timeout = std::chrono::milliseconds(500);
  options.command_timeout = command_timeout;
  auto pool = ConnectionPool::Create(options);
  if (!pool.ok()) {
    ADD_FAILURE() << pool.status();
    return nullptr;
  }
  return *std::move(pool);
}

// Ids of the clients whose current command is `command` (lower case), from
// CLIENT LIST, e.g. to find the connection blocked in an XREAD.
std::vector<std::string> ClientIdsRunning(Client& client, const std::string& command) {
  std::vector<std::string> ids;
  auto list = client.Command({"CLIENT", "LIST"});
  if (!list.ok()) return ids;
  std::istringstream lines(list->str);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find(" cmd=" + command + " ") == std::string::npos) continue;
    std::string id = line.substr(3, line.find(' ') - 3);  // "id=N ..."
    ids.push_back(id);
  }
  return ids;
}

class RedisPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start());
    pool_ = MakePool(redis_.address());
    ASSERT_NE(pool_, nullptr);
  }

  RedisServer redis_;
  std::unique_ptr<ConnectionPool> pool_;
};

TEST_F(RedisPoolTest, RepliesOfEveryType) {
  auto set = pool_->Command({"SET", "k", "v"});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->type, Reply::Type::kStatus);
  EXPECT_EQ(set->str, "OK");

  auto get = pool_->Command({"GET", "k"});
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->type, Reply::Type::kString);
  EXPECT_EQ(get->str, "v");

  auto missing = pool_->Command({"GET", "absent"});
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_TRUE(missing->is_nil());

  auto incr = pool_->Command({"INCRBY", "n", "41"});
  ASSERT_TRUE(incr.ok()) << incr.status();
  EXPECT_EQ(incr->type, Reply::Type::kInteger);
  EXPECT_EQ(incr->integer, 41);

  ASSERT_TRUE(pool_->Command({"RPUSH", "list", "a", "b", "c"}).ok());
  auto range = pool_->Command({"LRANGE", "list", "0", "-1"});
  ASSERT_TRUE(range.ok()) << range.status();
  ASSERT_EQ(range->type, Reply::Type::kArray);
  ASSERT_EQ(range->elements.size(), 3u);
  EXPECT_EQ(range->elements[0].str, "a");
  EXPECT_EQ(range->elements[2].str, "c");
}

TEST_F(RedisPoolTest, ValuesAreBinarySafe) {
  std::string value(1 << 20, '\0');
  for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>(i * 131 % 251);
  value[7] = '\0';
  value.append("\r\n$-1\r\n");
  ASSERT_TRUE(pool_->Command({"SET", std::string_view("key\0with nul", 12), value}).ok());
  auto get = pool_->Command({"GET", std::string_view("key\0with nul", 12)});
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->str, value);
  auto empty = pool_->Command({"SET", "empty", ""});
  ASSERT_TRUE(empty.ok()) << empty.status();
  auto back = pool_->Command({"GET", "empty"});
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->type, Reply::Type::kString);
  EXPECT_EQ(back->str, "");
}

TEST_F(RedisPoolTest, ErrorReplyIsInternalAndKeepsTheConnectionUsable) {
  ASSERT_TRUE(pool_->Command({"SET", "s", "text"}).ok());
  auto wrong = pool_->Command({"LPUSH", "s", "x"});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(IsRedisError(wrong.status(), "WRONGTYPE")) << wrong.status();
  EXPECT_EQ(wrong.status().message().substr(0, 17), "redis: WRONGTYPE ");

  auto unknown = pool_->Command({"NOSUCHCOMMAND"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInternal);

  auto get = pool_->Command({"GET", "s"});
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->str, "text");
}

TEST_F(RedisPoolTest, EmptyCommandIsRefusedWithoutSending) {
  auto empty = pool_->Command({});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  auto empty_in_pipeline = pool_->Pipeline({{"PING"}, {}});
  EXPECT_EQ(empty_in_pipeline.status().code(), absl::StatusCode::kInvalidArgument);
  auto nothing = pool_->Pipeline({});
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->empty());
}

TEST_F(RedisPoolTest, PipelineRepliesInOrderOnOneConnection) {
  auto replies = pool_->Pipeline({{"CLIENT", "ID"},
                                  {"SET", "p", "1"},
                                  {"INCR", "p"},
                                  {"GET", "p"},
                                  {"CLIENT", "ID"}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 5u);
  EXPECT_EQ((*replies)[1].str, "OK");
  EXPECT_EQ((*replies)[2].integer, 2);
  EXPECT_EQ((*replies)[3].str, "2");
  EXPECT_EQ((*replies)[0].integer, (*replies)[4].integer);
}

TEST_F(RedisPoolTest, PipelineWithAnErrorRunsTheRestAndReportsTheError) {
  ASSERT_TRUE(pool_->Command({"SET", "s", "text"}).ok());
  auto replies =
      pool_->Pipeline({{"SET", "before", "1"}, {"INCR", "s"}, {"SET", "after", "1"}});
  ASSERT_FALSE(replies.ok());
  EXPECT_EQ(replies.status().code(), absl::StatusCode::kInternal);
  // Every reply was read, so the connection is still in step.
  auto check = pool_->Pipeline({{"GET", "before"}, {"GET", "after"}});
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ((*check)[0].str, "1");
  EXPECT_EQ((*check)[1].str, "1");
}

TEST_F(RedisPoolTest, PasswordIsSentWhenConfigured) {
  ASSERT_EQ(redis_.Cli({"CONFIG", "SET", "requirepass", "sesame"}), "OK");
  auto without = MakePool(redis_.address());
  auto refused = without->Command({"GET", "k"});
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(IsRedisError(refused.status(), "NOAUTH")) << refused.status();

  PoolOptions options;
  options.address = redis_.address();
  options.password = "sesame";
  auto with = ConnectionPool::Create(options);
  ASSERT_TRUE(with.ok());
  auto pong = (*with)->Command({"PING"});
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(pong->str, "PONG");
}

TEST(RedisPoolOptions, BadOptionsAreRefused) {
  PoolOptions options;
  options.address = "no-port";
  EXPECT_EQ(ConnectionPool::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.address = "127.0.0.1:6379";
  options.size = 0;
  EXPECT_EQ(ConnectionPool::Create(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RedisPoolDown, NothingListeningIsUnavailable) {
  std::string address = "127.0.0.1:" + std::to_string(::cmtp::testing::FreePort());
  auto pool = MakePool(address);
  auto reply = pool->Command({"PING"});
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(reply.status().message().find(address), std::string::npos) << reply.status();
  auto pipeline = pool->Pipeline({{"SET", "a", "1"}, {"GET", "a"}});
  EXPECT_EQ(pipeline.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(RedisPoolTest, RedisKilledIsUnavailableThenRecoversAfterRestart) {
  // Fill the free list so that stale connections exist when Redis dies.
  std::vector<std::thread> warmers;
  for (int i = 0; i < 4; ++i) {
    warmers.emplace_back([&] { EXPECT_TRUE(pool_->Command({"SET", "w", "1"}).ok()); });
  }
  for (auto& t : warmers) t.join();

  redis_.KillHard();
  auto down = pool_->Command({"SET", "k", "v"});
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable) << down.status();
  EXPECT_EQ(pool_->Command({"GET", "k"}).status().code(), absl::StatusCode::kUnavailable);

  ASSERT_TRUE(redis_.Start());
  // Every later call succeeds, writes included: the stale connections are
  // noticed before anything is sent on them.
  for (int i = 0; i < 8; ++i) {
    auto set = pool_->Command({"SET", "k", std::to_string(i)});
    ASSERT_TRUE(set.ok()) << i << ": " << set.status();
  }
  auto get = pool_->Command({"GET", "k"});
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->str, "7");
}

TEST_F(RedisPoolTest, ReadBrokenInFlightIsSentAgain) {
  auto reader = std::async(std::launch::async, [&] {
    return pool_->Command({"XREAD", "BLOCK", "20000", "STREAMS", "stream", "0"});
  });
  std::vector<std::string> first;
  ASSERT_TRUE(
      WaitFor([&] { return !(first = ClientIdsRunning(*pool_, "xread")).empty(); }));
  ASSERT_TRUE(pool_->Command({"CLIENT", "KILL", "ID", first[0]}).ok());
  // The read is re-sent on a new connection, which blocks again...
  ASSERT_TRUE(WaitFor([&] {
    auto now = ClientIdsRunning(*pool_, "xread");
    return !now.empty() && now[0] != first[0];
  }));
  // ...and gets the entry once there is one.
  ASSERT_TRUE(pool_->Command({"XADD", "stream", "*", "field", "value"}).ok());
  auto read = reader.get();
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->type, Reply::Type::kArray);
  EXPECT_EQ(read->elements.size(), 1u);
}

TEST_F(RedisPoolTest, WriteBrokenInFlightIsNotSentAgain) {
  auto popper = std::async(std::launch::async, [&] {
    return pool_->Command({"BLPOP", "queue", "20"});
  });
  std::vector<std::string> ids;
  ASSERT_TRUE(
      WaitFor([&] { return !(ids = ClientIdsRunning(*pool_, "blpop")).empty(); }));
  ASSERT_TRUE(pool_->Command({"CLIENT", "KILL", "ID", ids[0]}).ok());
  auto popped = popper.get();
  ASSERT_FALSE(popped.ok());
  EXPECT_EQ(popped.status().code(), absl::StatusCode::kUnavailable) << popped.status();
  EXPECT_TRUE(ClientIdsRunning(*pool_, "blpop").empty());
}

TEST_F(RedisPoolTest, WriteMarkedSafeIsSentAgain) {
  auto popper = std::async(std::launch::async, [&] {
    return pool_->Command({"BLPOP", "queue", "20"}, Retry::kSafe);
  });
  std::vector<std::string> first;
  ASSERT_TRUE(
      WaitFor([&] { return !(first = ClientIdsRunning(*pool_, "blpop")).empty(); }));
  ASSERT_TRUE(pool_->Command({"CLIENT", "KILL", "ID", first[0]}).ok());
  ASSERT_TRUE(WaitFor([&] {
    auto now = ClientIdsRunning(*pool_, "blpop");
    return !now.empty() && now[0] != first[0];
  }));
  ASSERT_TRUE(pool_->Command({"RPUSH", "queue", "job"}).ok());
  auto popped = popper.get();
  ASSERT_TRUE(popped.ok()) << popped.status();
  ASSERT_EQ(popped->elements.size(), 2u);
  EXPECT_EQ(popped->elements[1].str, "job");
}

TEST_F(RedisPoolTest, SlowReplyTimesOutAsUnavailable) {
  auto pool = MakePool(redis_.address(), 2, std::chrono::milliseconds(200));
  auto read = pool->Command({"XREAD", "BLOCK", "3000", "STREAMS", "stream", "$"});
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(read.status().message().find("no reply within 200 ms"), std::string::npos)
      << read.status();
  // The timed-out connection was dropped; the next call gets a clean one.
  auto pong = pool->Command({"PING"});
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(pong->str, "PONG");
}

TEST_F(RedisPoolTest, ConcurrentUseFromThreads) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string key = "own:" + std::to_string(t);
      for (int i = 0; i < kPerThread; ++i) {
        std::string value = std::to_string(t * 100000 + i);
        auto replies =
            pool_->Pipeline({{"INCR", "shared"}, {"SET", key, value}, {"GET", key}});
        if (!replies.ok() || (*replies)[2].str != value) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  auto total = pool_->Command({"GET", "shared"});
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(total->str, std::to_string(kThreads * kPerThread));
  // The pool never opened more connections than its size (4), plus none else.
  auto clients = pool_->Command({"INFO", "clients"});
  ASSERT_TRUE(clients.ok());
  EXPECT_NE(clients->str.find("connected_clients:"), std::string::npos);
  int connected =
      std::stoi(clients->str.substr(clients->str.find("connected_clients:") + 18));
  EXPECT_LE(connected, 4);
}

}  // namespace
}  // namespace cmtp::redis
