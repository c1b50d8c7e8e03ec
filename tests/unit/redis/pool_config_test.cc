// The Redis flags every service shares: declared once, read into PoolOptions.
#include "lib/redis/pool_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>
#include <vector>

namespace cmtp::redis {
namespace {

absl::StatusOr<PoolOptions> FromArgs(std::vector<std::string> args) {
  Config config("test", "test");
  AddRedisFlags(config);
  args.insert(args.begin(), "test");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  absl::Status parsed = config.Parse(static_cast<int>(argv.size()), argv.data());
  if (!parsed.ok()) return parsed;
  return PoolOptionsFromConfig(config);
}

class RedisPoolConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"CMTP_REDIS", "CMTP_REDIS_SENTINELS",
                             "CMTP_REDIS_MASTER_NAME", "CMTP_REDIS_PASSWORD"}) {
      unsetenv(name);
    }
  }
};

TEST_F(RedisPoolConfigTest, DefaultIsOneRedisOnLocalhost) {
  auto options = FromArgs({});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->address, "127.0.0.1:6379");
  EXPECT_TRUE(options->sentinels.empty());
  EXPECT_TRUE(options->master_name.empty());
  EXPECT_TRUE(options->password.empty());
}

TEST_F(RedisPoolConfigTest, SentinelsAreSplitTrimmedAndNamed) {
  auto options = FromArgs(
      {"--redis-sentinels", " s1:26379, [::1]:26380 ,", "--redis-password", "sesame"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->sentinels, (std::vector<std::string>{"s1:26379", "[::1]:26380"}));
  EXPECT_EQ(options->master_name, "cmtp");
  EXPECT_EQ(options->password, "sesame");

  auto named = FromArgs({"--redis-sentinels=s1:1", "--redis-master-name=other"});
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_EQ(named->master_name, "other");
  EXPECT_TRUE(ConnectionPool::Create(*named).ok());
}

TEST_F(RedisPoolConfigTest, EnvironmentIsTheFallback) {
  setenv("CMTP_REDIS_SENTINELS", "s1:1,s2:2", 1);
  setenv("CMTP_REDIS_MASTER_NAME", "from-env", 1);
  setenv("CMTP_REDIS_PASSWORD", "secret", 1);
  auto options = FromArgs({});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->sentinels.size(), 2u);
  EXPECT_EQ(options->master_name, "from-env");
  EXPECT_EQ(options->password, "secret");
  auto flag_wins = FromArgs({"--redis-master-name", "from-flag"});
  ASSERT_TRUE(flag_wins.ok());
  EXPECT_EQ(flag_wins->master_name, "from-flag");
}

TEST_F(RedisPoolConfigTest, MalformedValuesAreRefused) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--redis", "no-port"},
           {"--redis", "host:0"},
           {"--redis-sentinels", "s1:1,nope"},
           {"--redis-sentinels", " , "},
           {"--redis-sentinels", "s1:1", "--redis-master-name", ""}}) {
    auto options = FromArgs(args);
    EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument)
        << args[0] << " " << args[1];
  }
  // --redis is not looked at when sentinels are set.
  EXPECT_TRUE(FromArgs({"--redis", "unused", "--redis-sentinels", "s1:1"}).ok());
}

}  // namespace
}  // namespace cmtp::redis
