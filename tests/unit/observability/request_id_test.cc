#include "lib/observability/request_id.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace cmtp::observability {
namespace {

TEST(RequestIdTest, NewIdsAreHexAndDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    std::string id = NewRequestId();
    ASSERT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    EXPECT_TRUE(IsUsableRequestId(id));
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

// Threads that live for one id each (a synchronous gRPC server's) seed
// their generators from one process seed: their ids must still all differ.
TEST(RequestIdTest, ShortLivedThreadsMakeDistinctIds) {
  constexpr int kThreads = 200;
  std::vector<std::string> ids(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    std::thread([&ids, i] { ids[i] = NewRequestId(); }).join();
  }
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(),
            static_cast<size_t>(kThreads));
}

TEST(RequestIdTest, UsableIdsAreShortAndPlain) {
  EXPECT_TRUE(IsUsableRequestId("gw-1:session.7_cmd"));
  EXPECT_TRUE(IsUsableRequestId(std::string(128, 'a')));
  EXPECT_FALSE(IsUsableRequestId(std::string(129, 'a')));
  EXPECT_FALSE(IsUsableRequestId(""));
  EXPECT_FALSE(IsUsableRequestId("two words"));
  EXPECT_FALSE(IsUsableRequestId("line\nbreak"));
  EXPECT_FALSE(IsUsableRequestId("quote\""));
  EXPECT_FALSE(IsUsableRequestId("caf\xC3\xA9"));
}

TEST(RequestIdTest, ScopesNestAndRestore) {
  EXPECT_EQ(CurrentRequestId(), "");
  {
    ScopedRequestId outer("outer");
    EXPECT_EQ(CurrentRequestId(), "outer");
    {
      ScopedRequestId inner("inner");
      EXPECT_EQ(CurrentRequestId(), "inner");
    }
    EXPECT_EQ(CurrentRequestId(), "outer");
  }
  EXPECT_EQ(CurrentRequestId(), "");
}

TEST(RequestIdTest, EachThreadHasItsOwn) {
  ScopedRequestId mine("main-thread");
  std::string seen_elsewhere = "not run";
  std::thread other([&] { seen_elsewhere = CurrentRequestId(); });
  other.join();
  EXPECT_EQ(seen_elsewhere, "");
  EXPECT_EQ(CurrentRequestId(), "main-thread");
}

}  // namespace
}  // namespace cmtp::observability
