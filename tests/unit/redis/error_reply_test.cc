// The mapping of Redis error replies and the read-only list, which decide
// what callers see and what the pool may send twice.
#include "lib/redis/error_reply.h"

#include <gtest/gtest.h>

#include "lib/redis/client.h"
#include "lib/redis/read_only_commands.h"

namespace cmtp::redis {
namespace {

TEST(RedisErrorReply, OrdinaryErrorsAreInternalWithTheirText) {
  absl::Status status = ErrorReplyStatus("WRONGTYPE Operation against a key");
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(status.message(), "redis: WRONGTYPE Operation against a key");
  EXPECT_TRUE(IsRedisError(status, "WRONGTYPE"));
  EXPECT_FALSE(IsRedisError(status, "WRONG"));
  EXPECT_FALSE(IsRedisError(status, "NOSCRIPT"));
}

TEST(RedisErrorReply, TransientStatesAreUnavailable) {
  for (const char* text :
       {"LOADING Redis is loading the dataset in memory",
        "BUSY Redis is busy running a script", "READONLY You can't write",
        "MISCONF Errors writing to the AOF file"}) {
    absl::Status status = ErrorReplyStatus(text);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << text;
    EXPECT_EQ(status.message(), std::string("redis: ") + text);
  }
}

TEST(RedisErrorReply, NotMasterErrorsAreTheOnesOfAServerThatIsNoMaster) {
  for (const char* text : {"READONLY You can't write against a read only replica.",
                           "LOADING Redis is loading the dataset in memory",
                           "MASTERDOWN Link with MASTER is down"}) {
    EXPECT_TRUE(IsNotMasterError(ErrorReplyStatus(text))) << text;
  }
  for (const char* text : {"BUSY Redis is busy running a script", "NOREPLICAS Not enough",
                           "OOM command not allowed", "ERR READONLY in the text"}) {
    EXPECT_FALSE(IsNotMasterError(ErrorReplyStatus(text))) << text;
  }
  EXPECT_FALSE(IsNotMasterError(absl::UnavailableError("READONLY without the prefix")));
}

TEST(RedisErrorReply, IsRedisErrorIgnoresOtherStatuses) {
  EXPECT_FALSE(IsRedisError(absl::OkStatus(), "NOSCRIPT"));
  EXPECT_FALSE(IsRedisError(absl::NotFoundError("redis: NOSCRIPT x"), "NOSCRIPT"));
  EXPECT_FALSE(IsRedisError(absl::InternalError("NOSCRIPT x"), "NOSCRIPT"));
  EXPECT_TRUE(IsRedisError(absl::InternalError("redis: NOSCRIPT"), "NOSCRIPT"));
}

TEST(RedisReadOnlyCommands, ReadsAndScriptLoadingOnly) {
  EXPECT_TRUE(IsReadOnlyCommand({"GET", "k"}));
  EXPECT_TRUE(IsReadOnlyCommand({"hgetall", "k"}));
  EXPECT_TRUE(IsReadOnlyCommand({"ZSCORE", "k", "m"}));
  EXPECT_TRUE(IsReadOnlyCommand({"SCRIPT", "LOAD", "return 1"}));
  EXPECT_FALSE(IsReadOnlyCommand({"SCRIPT", "FLUSH"}));
  EXPECT_FALSE(IsReadOnlyCommand({"SCRIPT"}));
  EXPECT_FALSE(IsReadOnlyCommand({"SET", "k", "v"}));
  EXPECT_FALSE(IsReadOnlyCommand({"INCR", "k"}));
  EXPECT_FALSE(IsReadOnlyCommand({"EVALSHA", "abc", "0"}));
  EXPECT_FALSE(IsReadOnlyCommand({"XREADGROUP", "GROUP", "g", "c"}));
  EXPECT_FALSE(IsReadOnlyCommand({}));
}

}  // namespace
}  // namespace cmtp::redis
