// Script: lazy SCRIPT LOAD, EVALSHA, NOSCRIPT recovery, and a follow-up
// command on the script's connection.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "lib/redis/client.h"
#include "tests/support/redis_server.h"

namespace cmtp::redis {
namespace {

using ::cmtp::testing::RedisServer;

constexpr char kAppendAndCount[] = R"lua(
redis.call('RPUSH', KEYS[1], ARGV[1])
return redis.call('LLEN', KEYS[1])
)lua";

class RedisScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start());
    PoolOptions options;
    options.address = redis_.address();
    auto pool = ConnectionPool::Create(options);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = *std::move(pool);
  }

  RedisServer redis_;
  std::unique_ptr<ConnectionPool> pool_;
};

TEST_F(RedisScriptTest, LoadsLazilyAndRunsBySha) {
  Script script(kAppendAndCount);
  EXPECT_EQ(script.sha1(), "");
  auto first = script.Run(*pool_, {"list"}, {"a"});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->integer, 1);
  ASSERT_EQ(script.sha1().size(), 40u);
  auto exists = pool_->Command({"SCRIPT", "EXISTS", script.sha1()});
  ASSERT_TRUE(exists.ok());
  EXPECT_EQ(exists->elements[0].integer, 1);

  auto second = script.Run(*pool_, {"list"}, {"b"});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->integer, 2);
  EXPECT_EQ(redis_.Cli({"LRANGE", "list", "0", "-1"}), "a\nb");
}

TEST_F(RedisScriptTest, RecoversFromNoscriptAfterFlush) {
  Script script(kAppendAndCount);
  ASSERT_TRUE(script.Run(*pool_, {"list"}, {"a"}).ok());
  std::string sha = script.sha1();
  ASSERT_TRUE(pool_->Command({"SCRIPT", "FLUSH"}).ok());

  auto after_flush = script.Run(*pool_, {"list"}, {"b"});
  ASSERT_TRUE(after_flush.ok()) << after_flush.status();
  EXPECT_EQ(after_flush->integer, 2);  // ran exactly once
  // EVAL put it back in the cache under the same SHA.
  auto exists = pool_->Command({"SCRIPT", "EXISTS", sha});
  ASSERT_TRUE(exists.ok());
  EXPECT_EQ(exists->elements[0].integer, 1);
  EXPECT_EQ(redis_.Cli({"LRANGE", "list", "0", "-1"}), "a\nb");
}

TEST_F(RedisScriptTest, RecoversAfterRedisRestart) {
  Script script(kAppendAndCount);
  ASSERT_TRUE(script.Run(*pool_, {"list"}, {"a"}).ok());
  redis_.KillHard();
  EXPECT_EQ(script.Run(*pool_, {"list"}, {"lost"}).status().code(),
            absl::StatusCode::kUnavailable);
  ASSERT_TRUE(redis_.Start());
  auto again = script.Run(*pool_, {"list"}, {"b"});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->integer, 2);  // "a" survived in the AOF, "lost" never ran
}

TEST_F(RedisScriptTest, RunThenSendsFollowUpsOnTheSameConnection) {
  Script client_id("return redis.call('INCR', KEYS[1])");
  auto replies =
      client_id.RunThen(*pool_, {"counter"}, {}, {{"GET", "counter"}, {"CLIENT", "ID"}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 3u);
  EXPECT_EQ((*replies)[0].integer, 1);
  EXPECT_EQ((*replies)[1].str, "1");
  EXPECT_EQ((*replies)[2].type, Reply::Type::kInteger);

  // After a flush the follow-ups still come back, in order, once.
  ASSERT_TRUE(pool_->Command({"SCRIPT", "FLUSH"}).ok());
  auto after_flush = client_id.RunThen(*pool_, {"counter"}, {}, {{"GET", "counter"}});
  ASSERT_TRUE(after_flush.ok()) << after_flush.status();
  EXPECT_EQ((*after_flush)[0].integer, 2);
  EXPECT_EQ((*after_flush)[1].str, "2");
}

TEST_F(RedisScriptTest, ScriptErrorIsInternal) {
  Script broken("return redis.call('NOSUCHCOMMAND')");
  auto result = broken.Run(*pool_, {}, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(result.status().message().substr(0, 7), "redis: ");
}

TEST_F(RedisScriptTest, ConcurrentFirstRuns) {
  Script script(kAppendAndCount);
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) EXPECT_TRUE(script.Run(*pool_, {"list"}, {"x"}).ok());
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(redis_.Cli({"LLEN", "list"}), "120");
}

}  // namespace
}  // namespace cmtp::redis
