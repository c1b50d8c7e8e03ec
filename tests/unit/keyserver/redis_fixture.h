// One real redis-server per test binary, emptied before every test.
#ifndef CMTP_TESTS_UNIT_KEYSERVER_REDIS_FIXTURE_H_
#define CMTP_TESTS_UNIT_KEYSERVER_REDIS_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>

#include "lib/redis/client.h"
#include "tests/support/redis_server.h"

namespace cmtp::keyserver::test {

class RedisTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new cmtp::testing::RedisServer();
    ASSERT_TRUE(server_->Start()) << "redis-server did not start";
    redis::PoolOptions options;
    options.address = server_->address();
    options.size = 4;
    auto pool = redis::ConnectionPool::Create(options);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = pool->release();
  }
  static void TearDownTestSuite() {
    delete pool_;
    pool_ = nullptr;
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(pool_, nullptr);
    auto flushed = pool_->Command({"FLUSHALL"});
    ASSERT_TRUE(flushed.ok()) << flushed.status();
  }

  redis::Client& redis() { return *pool_; }
  // redis-cli, for checks that should not go through the code under test.
  std::string Cli(const std::vector<std::string>& args) { return server_->Cli(args); }

  static inline cmtp::testing::RedisServer* server_ = nullptr;
  static inline redis::ConnectionPool* pool_ = nullptr;
};

}  // namespace cmtp::keyserver::test

#endif  // CMTP_TESTS_UNIT_KEYSERVER_REDIS_FIXTURE_H_
