#include "services/gateway/key_block_cache.h"

#include <chrono>
#include <string>

#include "gtest/gtest.h"

namespace cmtp::gateway {
namespace {

using namespace std::chrono_literals;

KeyBlock Block(const std::string& tag) { return KeyBlock{"wire-" + tag, "key-" + tag}; }

class GatewayKeyBlockCacheTest : public ::testing::Test {
 protected:
  KeyBlockCache MakeCache(std::chrono::milliseconds ttl,
                          std::chrono::milliseconds negative_ttl, size_t max_entries) {
    return KeyBlockCache({ttl, negative_ttl, max_entries}, [this] { return now_; });
  }
  std::chrono::steady_clock::time_point now_{};
};

TEST_F(GatewayKeyBlockCacheTest, ServesTheBlockForTheTtlOnly) {
  KeyBlockCache cache = MakeCache(2000ms, 500ms, 10);
  EXPECT_FALSE(cache.Find("bob").has_value());
  cache.RememberBlock("bob", Block("bob"));
  now_ += 1999ms;
  auto hit = cache.Find("bob");
  ASSERT_TRUE(hit.has_value());
  ASSERT_TRUE(hit->block.has_value());
  EXPECT_EQ(hit->block->wire_bytes, "wire-bob");
  EXPECT_EQ(hit->block->public_key, "key-bob");
  now_ += 1ms;
  EXPECT_FALSE(cache.Find("bob").has_value());
}

TEST_F(GatewayKeyBlockCacheTest, NotAvailableLastsTheShorterTtl) {
  KeyBlockCache cache = MakeCache(2000ms, 500ms, 10);
  cache.RememberNotAvailable("ghost");
  now_ += 499ms;
  auto hit = cache.Find("ghost");
  ASSERT_TRUE(hit.has_value());
  EXPECT_FALSE(hit->block.has_value());
  now_ += 1ms;
  EXPECT_FALSE(cache.Find("ghost").has_value());
}

TEST_F(GatewayKeyBlockCacheTest, ANewAnswerReplacesTheOld) {
  KeyBlockCache cache = MakeCache(2000ms, 500ms, 10);
  cache.RememberNotAvailable("bob");
  cache.RememberBlock("bob", Block("bob"));
  auto hit = cache.Find("bob");
  ASSERT_TRUE(hit.has_value());
  ASSERT_TRUE(hit->block.has_value());
  EXPECT_EQ(hit->block->wire_bytes, "wire-bob");
  now_ += 1000ms;  // the block's own lifetime counts, not the negative one
  EXPECT_TRUE(cache.Find("bob").has_value());
}

TEST_F(GatewayKeyBlockCacheTest, ForgetDropsTheEntry) {
  KeyBlockCache cache = MakeCache(2000ms, 500ms, 10);
  cache.RememberNotAvailable("carol");
  cache.Forget("carol");
  EXPECT_FALSE(cache.Find("carol").has_value());
}

TEST_F(GatewayKeyBlockCacheTest, ZeroTtlsDisableIt) {
  KeyBlockCache cache = MakeCache(0ms, 0ms, 10);
  EXPECT_FALSE(cache.enabled());
  cache.RememberBlock("bob", Block("bob"));
  cache.RememberNotAvailable("ghost");
  EXPECT_FALSE(cache.Find("bob").has_value());
  EXPECT_FALSE(cache.Find("ghost").has_value());
}

TEST_F(GatewayKeyBlockCacheTest, ZeroNegativeTtlKeepsOnlyBlocks) {
  KeyBlockCache cache = MakeCache(2000ms, 0ms, 10);
  EXPECT_TRUE(cache.enabled());
  cache.RememberNotAvailable("ghost");
  EXPECT_FALSE(cache.Find("ghost").has_value());
  cache.RememberBlock("bob", Block("bob"));
  EXPECT_TRUE(cache.Find("bob").has_value());
}

TEST_F(GatewayKeyBlockCacheTest, ZeroEntriesDisableIt) {
  KeyBlockCache cache = MakeCache(2000ms, 500ms, 0);
  EXPECT_FALSE(cache.enabled());
  cache.RememberBlock("bob", Block("bob"));
  EXPECT_FALSE(cache.Find("bob").has_value());
}

TEST_F(GatewayKeyBlockCacheTest, FullCacheDropsExpiredEntriesFirst) {
  KeyBlockCache cache = MakeCache(2000ms, 500ms, 2);
  cache.RememberNotAvailable("ghost");  // expires at 500 ms
  cache.RememberBlock("bob", Block("bob"));
  now_ += 600ms;
  cache.RememberBlock("alice", Block("alice"));
  EXPECT_TRUE(cache.Find("bob").has_value());
  EXPECT_TRUE(cache.Find("alice").has_value());
}

TEST_F(GatewayKeyBlockCacheTest, NeverHoldsMoreThanTheBound) {
  KeyBlockCache cache = MakeCache(2000ms, 500ms, 3);
  for (int i = 0; i < 10; ++i) {
    cache.RememberBlock("user" + std::to_string(i), Block(std::to_string(i)));
  }
  int held = 0;
  for (int i = 0; i < 10; ++i) held += cache.Find("user" + std::to_string(i)).has_value();
  EXPECT_LE(held, 3);
  // The newest is always kept.
  EXPECT_TRUE(cache.Find("user9").has_value());
}

}  // namespace
}  // namespace cmtp::gateway
