#include "services/gateway/recipient_cache.h"

#include <chrono>
#include <string>

#include "gtest/gtest.h"

namespace cmtp::gateway {
namespace {

using namespace std::chrono_literals;

class GatewayRecipientCacheTest : public ::testing::Test {
 protected:
  RecipientCache MakeCache(size_t max_entries) {
    return RecipientCache(5s, max_entries, [this] { return now_; });
  }
  std::chrono::steady_clock::time_point now_{};
};

TEST_F(GatewayRecipientCacheTest, RemembersForTheTtlOnly) {
  RecipientCache cache = MakeCache(10);
  EXPECT_FALSE(cache.Contains("bob"));
  cache.Remember("bob");
  EXPECT_TRUE(cache.Contains("bob"));
  now_ += 4999ms;
  EXPECT_TRUE(cache.Contains("bob"));
  now_ += 1ms;
  EXPECT_FALSE(cache.Contains("bob"));
}

TEST_F(GatewayRecipientCacheTest, RememberingAgainExtends) {
  RecipientCache cache = MakeCache(10);
  cache.Remember("bob");
  now_ += 4s;
  cache.Remember("bob");
  now_ += 4s;
  EXPECT_TRUE(cache.Contains("bob"));
}

TEST_F(GatewayRecipientCacheTest, StaysWithinItsSize) {
  RecipientCache cache = MakeCache(3);
  cache.Remember("a");
  cache.Remember("b");
  now_ += 6s;  // a and b expire
  cache.Remember("c");
  cache.Remember("d");
  cache.Remember("e");  // full: the expired ones go first
  EXPECT_TRUE(cache.Contains("c"));
  EXPECT_TRUE(cache.Contains("d"));
  EXPECT_TRUE(cache.Contains("e"));
  cache.Remember("f");  // full of live entries: start over
  EXPECT_TRUE(cache.Contains("f"));
  EXPECT_FALSE(cache.Contains("c"));
}

}  // namespace
}  // namespace cmtp::gateway
