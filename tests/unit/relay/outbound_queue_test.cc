// The outbound queue against a real redis-server, with a fake clock:
// idempotent enqueue, claims and leases, rescheduling, operator actions.
#include "services/relay/outbound_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "lib/redis/client.h"
#include "tests/support/redis_sentinel.h"
#include "tests/support/redis_server.h"
#include "tests/unit/relay/relay_test_env.h"

namespace cmtp::relay {
namespace {

using testing::FakeClock;

constexpr int64_t kLeaseMs = 60'000;

std::string Id(char c) { return std::string(32, c); }

class OutboundQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_server_.Start());
    redis::PoolOptions options;
    options.address = redis_server_.address();
    absl::StatusOr<std::unique_ptr<redis::ConnectionPool>> pool =
        redis::ConnectionPool::Create(options);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = *std::move(pool);
    QueueOptions queue_options;
    queue_options.lease_ms = kLeaseMs;
    queue_ = std::make_unique<OutboundQueue>(*pool_, queue_options, clock_.AsFunction());
  }

  NewMessage Message(const std::string& id, const std::string& bytes,
                     const std::string& domain = "beta.test") {
    ids_[id] = id;
    bytes_[id] = bytes;
    domains_[id] = domain;
    NewMessage message;
    message.message_id = ids_[id];
    message.message = bytes_[id];
    message.dst_account = "bob";
    message.dst_domain = domains_[id];
    message.src_account = "alice";
    message.src_domain = "alpha.test";
    message.request_id = "r1";
    return message;
  }

  std::vector<std::string> ClaimIds(size_t max,
                                    const std::map<std::string, int>& busy = {},
                                    int per_destination = 100) {
    absl::StatusOr<std::vector<ClaimedMessage>> claimed =
        queue_->Claim(max, busy, per_destination);
    EXPECT_TRUE(claimed.ok()) << claimed.status();
    std::vector<std::string> ids;
    if (claimed.ok()) {
      for (const ClaimedMessage& message : *claimed) {
        ids.push_back(message.info.message_id);
      }
    }
    return ids;
  }

  cmtp::testing::RedisServer redis_server_;
  std::unique_ptr<redis::ConnectionPool> pool_;
  FakeClock clock_;
  std::unique_ptr<OutboundQueue> queue_;
  // Storage for the views NewMessage holds.
  std::map<std::string, std::string> ids_, bytes_, domains_;
};

TEST_F(OutboundQueueTest, EnqueueIsIdempotentByIdAndKeepsTheFirstCopy) {
  const int64_t first_time = clock_.Now();
  absl::StatusOr<EnqueueResult> first = queue_->Enqueue(Message(Id('a'), "first bytes"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->duplicate);
  EXPECT_EQ(first->queued_ms, first_time);

  clock_.Advance(5000);
  absl::StatusOr<EnqueueResult> second = queue_->Enqueue(Message(Id('a'), "other bytes"));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->duplicate);
  EXPECT_EQ(second->queued_ms, first_time);

  absl::StatusOr<std::optional<QueuedMessage>> stored = queue_->Load(Id('a'));
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->message, "first bytes");
  EXPECT_EQ((*stored)->info.size, 11u);
  EXPECT_EQ((*stored)->info.attempts, 0u);
  EXPECT_EQ((*stored)->info.queued_ms, first_time);
  EXPECT_EQ((*stored)->info.next_attempt_ms, first_time);
  EXPECT_EQ((*stored)->info.dst_account, "bob");
  EXPECT_EQ((*stored)->info.src_domain, "alpha.test");
  EXPECT_EQ((*stored)->info.request_id, "r1");
  EXPECT_EQ(*queue_->Depth(), 1u);
}

// A batch is one script run: each message stored once (a repeated id, in
// the batch or queued before, is a duplicate), each claimed or due as asked.
TEST_F(OutboundQueueTest, EnqueueManyStoresEachMessageOnceClaimedOrDueAsAsked) {
  const int64_t first_time = clock_.Now();
  ASSERT_TRUE(queue_->Enqueue(Message(Id('a'), "queued before")).ok());
  clock_.Advance(1000);
  absl::StatusOr<std::vector<EnqueueResult>> queued =
      queue_->EnqueueMany({{Message(Id('a'), "again"), false},
                           {Message(Id('b'), "bee"), true},
                           {Message(Id('c'), "sea", "gamma.test"), false},
                           {Message(Id('b'), "bee twice"), false}});
  ASSERT_TRUE(queued.ok()) << queued.status();
  ASSERT_EQ(queued->size(), 4u);
  EXPECT_TRUE((*queued)[0].duplicate);
  EXPECT_EQ((*queued)[0].queued_ms, first_time);
  EXPECT_FALSE((*queued)[1].duplicate);
  EXPECT_EQ((*queued)[1].queued_ms, clock_.Now());
  EXPECT_EQ((*queued)[1].lease_until_ms, clock_.Now() + kLeaseMs);
  EXPECT_FALSE((*queued)[2].duplicate);
  EXPECT_EQ((*queued)[2].lease_until_ms, 0);
  EXPECT_TRUE((*queued)[3].duplicate);
  EXPECT_EQ((*queued)[3].lease_until_ms, 0);
  EXPECT_EQ(*queue_->Depth(), 3u);

  absl::StatusOr<std::optional<QueuedMessage>> a = queue_->Load(Id('a'));
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->message, "queued before");
  absl::StatusOr<std::optional<QueuedMessage>> b = queue_->Load(Id('b'));
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_EQ((*b)->message, "bee");
  EXPECT_EQ((*b)->info.next_attempt_ms, clock_.Now() + kLeaseMs);
  absl::StatusOr<std::optional<QueuedMessage>> c = queue_->Load(Id('c'));
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->info.dst_domain, "gamma.test");
  EXPECT_EQ((*c)->info.size, 3u);
  // b is claimed: a claim finds only the due ones, by destination.
  std::vector<std::string> claimed = ClaimIds(10);
  std::sort(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed, (std::vector<std::string>{Id('a'), Id('c')}));
}

TEST_F(OutboundQueueTest, AClaimHidesTheMessageUntilItsLeaseEnds) {
  ASSERT_TRUE(queue_->Enqueue(Message(Id('a'), "m")).ok());
  EXPECT_EQ(ClaimIds(10), std::vector<std::string>{Id('a')});
  // Being delivered: nobody else gets it...
  EXPECT_TRUE(ClaimIds(10).empty());
  clock_.Advance(kLeaseMs - 1);
  EXPECT_TRUE(ClaimIds(10).empty());
  // ...until the worker that claimed it is presumed dead (kill -9).
  clock_.Advance(1);
  EXPECT_EQ(ClaimIds(10), std::vector<std::string>{Id('a')});
  absl::StatusOr<std::optional<QueuedMessageInfo>> info = queue_->Get(Id('a'));
  ASSERT_TRUE(info.ok() && info->has_value());
  EXPECT_EQ((*info)->next_attempt_ms, clock_.Now() + kLeaseMs);
}

TEST_F(OutboundQueueTest, ClaimTakesDueMessagesOnlyOldestFirstAndAtMostTheAskedNumber) {
  ASSERT_TRUE(queue_->Enqueue(Message(Id('a'), "m")).ok());
  clock_.Advance(1);
  ASSERT_TRUE(queue_->Enqueue(Message(Id('b'), "m")).ok());
  clock_.Advance(1);
  ASSERT_TRUE(queue_->Enqueue(Message(Id('c'), "m")).ok());
  ASSERT_TRUE(*queue_->Reschedule(Id('a'), 1, "later", clock_.Now() + 10'000));
  EXPECT_EQ(ClaimIds(1), std::vector<std::string>{Id('b')});
  EXPECT_EQ(ClaimIds(5), std::vector<std::string>{Id('c')});
  clock_.Advance(10'000);
  EXPECT_EQ(ClaimIds(5), std::vector<std::string>{Id('a')});
}

TEST_F(OutboundQueueTest, ClaimRespectsThePerDestinationLimit) {
  ASSERT_TRUE(queue_->Enqueue(Message(Id('a'), "m", "busy.test")).ok());
  ASSERT_TRUE(queue_->Enqueue(Message(Id('b'), "m", "busy.test")).ok());
  ASSERT_TRUE(queue_->Enqueue(Message(Id('c'), "m", "busy.test")).ok());
  ASSERT_TRUE(queue_->Enqueue(Message(Id('d'), "m", "quiet.test")).ok());
  // busy.test has one delivery in progress already; at most two at once.
  std::vector<std::string> claimed = ClaimIds(10, {{"busy.test", 1}}, 2);
  ASSERT_EQ(claimed.size(), 2u);
  std::map<std::string, int> per_domain;
  for (const std::string& id : claimed) ++per_domain[domains_[id]];
  EXPECT_EQ(per_domain["busy.test"], 1);
  EXPECT_EQ(per_domain["quiet.test"], 1);
}

// A destination at its cap with a long backlog costs a claim nothing: the
// claim goes by destination, so a message for another one behind that
// backlog is found even when the claim may look at a single destination.
TEST_F(OutboundQueueTest, ABusyDestinationsBacklogDoesNotHideTheOthers) {
  QueueOptions options;
  options.lease_ms = kLeaseMs;
  options.claim_scan_limit = 2;
  OutboundQueue queue(*pool_, options, clock_.AsFunction());
  for (int i = 0; i < 300; ++i) {
    const std::string id =
        absl::StrCat(std::string(28, 'b'), absl::Dec(i, absl::kZeroPad4));
    ASSERT_TRUE(queue.Enqueue(Message(id, "m", "busy.test")).ok());
  }
  clock_.Advance(1);
  ASSERT_TRUE(queue.Enqueue(Message(Id('q'), "m", "quiet.test")).ok());
  absl::StatusOr<std::vector<ClaimedMessage>> claimed =
      queue.Claim(10, {{"busy.test", 4}}, 4);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ((*claimed)[0].info.message_id, Id('q'));
  // With room again, busy.test's oldest come first, as many as it may take.
  claimed = queue.Claim(10, {{"busy.test", 1}}, 4);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  ASSERT_EQ(claimed->size(), 3u);
  EXPECT_EQ((*claimed)[0].info.message_id, std::string(28, 'b') + "0000");
  EXPECT_EQ((*claimed)[2].info.message_id, std::string(28, 'b') + "0002");
  EXPECT_EQ(*queue.Depth(), 301u);
}

// Messages queued by a relay that kept no index by destination (an older
// version, during a rolling update) are indexed by the next claim, and the
// index then follows every change.
TEST_F(OutboundQueueTest, MessagesQueuedWithoutTheIndexAreIndexedByTheNextClaim) {
  ASSERT_TRUE(queue_->Enqueue(Message(Id('n'), "m", "new.test")).ok());
  const std::string now = std::to_string(clock_.Now());
  for (const auto& [id, domain] :
       {std::pair<std::string, std::string>{Id('o'), "old.test"},
        {Id('p'), "new.test"}}) {
    ASSERT_TRUE(pool_
                    ->Command({"HSET",        "cmtp:relay:msg:" + id,
                               "message",     "m",
                               "dst_account", "bob",
                               "dst_domain",  domain,
                               "src_account", "alice",
                               "src_domain",  "alpha.test",
                               "queued_ms",   now,
                               "attempts",    "0",
                               "size",        "1",
                               "lease_until", "0"})
                    .ok());
    ASSERT_TRUE(pool_->Command({"ZADD", "cmtp:relay:due", now, id}).ok());
  }
  // An id whose hash is gone is dropped on the way.
  ASSERT_TRUE(pool_->Command({"ZADD", "cmtp:relay:due", now, Id('x')}).ok());
  std::vector<std::string> claimed = ClaimIds(10);
  std::sort(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed, (std::vector<std::string>{Id('n'), Id('o'), Id('p')}));
  EXPECT_EQ(*queue_->Depth(), 3u);
  auto indexed = [&] {
    absl::StatusOr<redis::Reply> count =
        pool_->Command({"GET", "cmtp:relay:due-indexed"});
    return count.ok() ? count->str : "error";
  };
  EXPECT_EQ(indexed(), "3");
  ASSERT_TRUE(*queue_->Remove(Id('o')));
  ASSERT_TRUE(*queue_->Release(Id('p')));
  EXPECT_EQ(indexed(), "2");
  EXPECT_EQ(ClaimIds(10), std::vector<std::string>{Id('p')});
  absl::StatusOr<redis::Reply> destinations =
      pool_->Command({"ZRANGE", "cmtp:relay:dests", "0", "-1"});
  ASSERT_TRUE(destinations.ok());
  ASSERT_EQ(destinations->elements.size(), 1u) << "old.test left with its last message";
  EXPECT_EQ(destinations->elements[0].str, "new.test");
}

TEST_F(OutboundQueueTest, RescheduleRecordsTheFailureAndTheNextAttempt) {
  ASSERT_TRUE(queue_->Enqueue(Message(Id('a'), "m")).ok());
  ASSERT_EQ(ClaimIds(1).size(), 1u);
  absl::StatusOr<bool> rescheduled = queue_->Reschedule(
      Id('a'), 1, "beta.test: connection refused", clock_.Now() + 60'000);
  ASSERT_TRUE(rescheduled.ok() && *rescheduled);
  absl::StatusOr<std::optional<QueuedMessageInfo>> info = queue_->Get(Id('a'));
  ASSERT_TRUE(info.ok() && info->has_value());
  EXPECT_EQ((*info)->attempts, 1u);
  EXPECT_EQ((*info)->last_error, "beta.test: connection refused");
  EXPECT_EQ((*info)->next_attempt_ms, clock_.Now() + 60'000);
  // Gone messages are not brought back.
  ASSERT_TRUE(*queue_->Remove(Id('a')));
  EXPECT_FALSE(*queue_->Reschedule(Id('a'), 2, "x", clock_.Now()));
  EXPECT_EQ(*queue_->Depth(), 0u);
  EXPECT_FALSE(queue_->Get(Id('a'))->has_value());
}

TEST_F(OutboundQueueTest, RetryNowSkipsMessagesBeingDelivered) {
  ASSERT_TRUE(queue_->Enqueue(Message(Id('a'), "m")).ok());
  ASSERT_TRUE(queue_->Enqueue(Message(Id('b'), "m")).ok());
  ASSERT_TRUE(queue_->Enqueue(Message(Id('c'), "m")).ok());
  ASSERT_EQ(ClaimIds(3).size(), 3u);
  ASSERT_TRUE(*queue_->Reschedule(Id('a'), 1, "down", clock_.Now() + 3600'000));
  ASSERT_TRUE(*queue_->Reschedule(Id('b'), 1, "down", clock_.Now() + 3600'000));
  // c is still under its lease: a worker is delivering it.
  EXPECT_EQ(*queue_->RetryNow(""), 2u);
  EXPECT_EQ(ClaimIds(10).size(), 2u);
  ASSERT_TRUE(*queue_->Reschedule(Id('a'), 2, "down", clock_.Now() + 3600'000));
  EXPECT_EQ(*queue_->RetryNow(Id('a')), 1u);
  EXPECT_EQ(ClaimIds(10), std::vector<std::string>{Id('a')});
  EXPECT_TRUE(absl::IsNotFound(queue_->RetryNow(Id('f')).status()));
}

TEST_F(OutboundQueueTest, ReleaseMakesAClaimedMessageDueAgainAtOnce) {
  ASSERT_TRUE(queue_->Enqueue(Message(Id('a'), "m")).ok());
  ASSERT_EQ(ClaimIds(1).size(), 1u);
  ASSERT_TRUE(*queue_->Release(Id('a')));
  EXPECT_EQ(ClaimIds(1), std::vector<std::string>{Id('a')});
}

TEST_F(OutboundQueueTest, ARenewedLeaseKeepsTheMessageHiddenPastTheFirstLease) {
  ASSERT_TRUE(queue_->Enqueue(Message(Id('a'), "m")).ok());
  ASSERT_EQ(ClaimIds(10), std::vector<std::string>{Id('a')});
  clock_.Advance(kLeaseMs / 2);
  absl::StatusOr<std::optional<int64_t>> renewed = queue_->RenewLease(Id('a'));
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  ASSERT_TRUE(renewed->has_value());
  EXPECT_EQ(**renewed, clock_.Now() + kLeaseMs);
  // Past the first lease: still being delivered, nobody else gets it.
  clock_.Advance(kLeaseMs / 2 + 1);
  EXPECT_TRUE(ClaimIds(10).empty());
  // Once renewals stop (the relay died), the renewed lease ends too.
  clock_.Advance(kLeaseMs / 2);
  EXPECT_EQ(ClaimIds(10), std::vector<std::string>{Id('a')});
}

TEST_F(OutboundQueueTest, ALeaseIsNotRenewedOnceTheAttemptIsOver) {
  ASSERT_TRUE(queue_->Enqueue(Message(Id('a'), "m")).ok());
  ASSERT_TRUE(queue_->Enqueue(Message(Id('b'), "m")).ok());
  ASSERT_EQ(ClaimIds(10).size(), 2u);
  // a failed and waits for its retry; b was delivered.
  const int64_t retry_at = clock_.Now() + 5000;
  ASSERT_TRUE(*queue_->Reschedule(Id('a'), 1, "down", retry_at));
  ASSERT_TRUE(*queue_->Remove(Id('b')));
  absl::StatusOr<std::optional<int64_t>> late = queue_->RenewLease(Id('a'));
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_FALSE(late->has_value());
  absl::StatusOr<std::optional<int64_t>> gone = queue_->RenewLease(Id('b'));
  ASSERT_TRUE(gone.ok()) << gone.status();
  EXPECT_FALSE(gone->has_value());
  EXPECT_EQ((*queue_->Get(Id('a')))->next_attempt_ms, retry_at);
  EXPECT_FALSE(queue_->Get(Id('b'))->has_value());
}

TEST_F(OutboundQueueTest, RemoveAndCountCountsOnlyTheRemovalsThatHappened) {
  ASSERT_TRUE(queue_->Enqueue(Message(Id('a'), "m")).ok());
  ASSERT_TRUE(queue_->Enqueue(Message(Id('b'), "m", "other.test")).ok());
  const std::vector<CounterIncrement> increments = {{"deliveries", 1}, {"sum", 250}};
  const std::string a = Id('a'), b = Id('b'), c = Id('c');
  absl::StatusOr<std::vector<bool>> first = queue_->RemoveAndCount(
      {{a, increments}, {b, {{"deliveries", 1}}}, {c, increments}}, "test:counters");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, (std::vector<bool>{true, true, false})) << "c was never queued";
  // A second worker that delivered `a` too removes nothing and counts nothing.
  absl::StatusOr<std::vector<bool>> second =
      queue_->RemoveAndCount({{a, increments}}, "test:counters");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, std::vector<bool>{false});
  EXPECT_EQ(*queue_->Depth(), 0u);
  EXPECT_FALSE(queue_->Get(a)->has_value());
  EXPECT_TRUE(queue_->RemoveAndCount({}, "test:counters")->empty());
  absl::StatusOr<redis::Reply> counted =
      pool_->Command({"HMGET", "test:counters", "deliveries", "sum"});
  ASSERT_TRUE(counted.ok()) << counted.status();
  ASSERT_EQ(counted->elements.size(), 2u);
  EXPECT_EQ(counted->elements[0].str, "2");
  EXPECT_EQ(counted->elements[1].str, "250");
  absl::StatusOr<redis::Reply> destinations =
      pool_->Command({"ZCARD", "cmtp:relay:dests"});
  ASSERT_TRUE(destinations.ok());
  EXPECT_EQ(destinations->integer, 0) << "no destination is left with due work";
}

// A grouped enqueue and a grouped removal put each destination in its place
// and count the indexed ids once per call, not once per message: the index
// must come out exactly as one message at a time would leave it.
TEST_F(OutboundQueueTest, GroupedCallsLeaveTheIndexAsSingleCallsWould) {
  std::vector<EnqueueItem> items;
  for (char c : std::string("abcdef")) {
    items.push_back({Message(Id(c), "m", c < 'd' ? "beta.test" : "gamma.test"), false});
  }
  items.push_back({Message(Id('g'), "m", "gamma.test"), true});  // claimed
  ASSERT_TRUE(queue_->EnqueueMany(items).ok());
  const std::string t0 = std::to_string(clock_.Now());
  clock_.Advance(10);
  ASSERT_TRUE(queue_->Enqueue(Message(Id('h'), "m", "beta.test")).ok());
  auto text = [&](std::vector<std::string> command) {
    std::vector<std::string_view> views(command.begin(), command.end());
    absl::StatusOr<redis::Reply> reply = pool_->Command(views);
    if (!reply.ok()) return std::string("error");
    if (reply->type == redis::Reply::Type::kInteger)
      return std::to_string(reply->integer);
    if (reply->type != redis::Reply::Type::kArray) return reply->str;
    std::string joined;
    for (const redis::Reply& element : reply->elements) {
      absl::StrAppend(&joined, joined.empty() ? "" : " ", element.str);
    }
    return joined;
  };
  EXPECT_EQ(text({"GET", "cmtp:relay:due-indexed"}), "8");
  EXPECT_EQ(text({"ZCARD", "cmtp:relay:due"}), "8");
  EXPECT_EQ(text({"ZRANGE", "cmtp:relay:dests", "0", "-1", "WITHSCORES"}),
            absl::StrCat("beta.test ", t0, " gamma.test ", t0));

  // Removing beta.test's first three and two of gamma.test's due ones leaves
  // beta.test due from h's time, and gamma.test from f's.
  const std::vector<CounterIncrement> one = {{"deliveries", 1}, {"sum", 7}};
  absl::StatusOr<std::vector<bool>> removed = queue_->RemoveAndCount(
      {{Id('a'), one}, {Id('d'), one}, {Id('b'), one}, {Id('c'), one}, {Id('e'), one}},
      "test:counters");
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, std::vector<bool>(5, true));
  EXPECT_EQ(text({"GET", "cmtp:relay:due-indexed"}), "3");
  EXPECT_EQ(text({"ZCARD", "cmtp:relay:due"}), "3");
  EXPECT_EQ(text({"ZRANGE", "cmtp:relay:dests", "0", "-1", "WITHSCORES"}),
            absl::StrCat("gamma.test ", t0, " beta.test ", clock_.Now()));
  EXPECT_EQ(text({"HMGET", "test:counters", "deliveries", "sum"}), "5 35");
  // The claim sees the same: f, then h (g is claimed).
  EXPECT_EQ(ClaimIds(10), (std::vector<std::string>{Id('f'), Id('h')}));
}

TEST_F(OutboundQueueTest, SmallMessagesComeWithTheirClaimLargeOnesAndBouncesDoNot) {
  QueueOptions options;
  options.lease_ms = kLeaseMs;
  options.claim_bytes_limit = 8;
  OutboundQueue queue(*pool_, options, clock_.AsFunction());
  ASSERT_TRUE(queue.Enqueue(Message(Id('a'), "8 bytes.")).ok());
  ASSERT_TRUE(queue.Enqueue(Message(Id('b'), "nine byte")).ok());
  ASSERT_TRUE(queue.Enqueue(Message(Id('c'), "small")).ok());
  ASSERT_TRUE(*queue.MarkBouncing(Id('c'), "refused", 1));
  absl::StatusOr<std::vector<ClaimedMessage>> claimed = queue.Claim(10, {}, 10);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  ASSERT_EQ(claimed->size(), 3u);
  std::map<std::string, std::optional<std::string>> bytes;
  for (const ClaimedMessage& message : *claimed) {
    bytes[message.info.message_id] = message.message;
    EXPECT_EQ(message.info.dst_domain, "beta.test");
    EXPECT_EQ(message.info.next_attempt_ms, clock_.Now() + kLeaseMs);
  }
  EXPECT_EQ(bytes[Id('a')], std::optional<std::string>("8 bytes."));
  EXPECT_FALSE(bytes[Id('b')].has_value()) << "larger than the limit: Load it";
  EXPECT_FALSE(bytes[Id('c')].has_value()) << "given up: its notice needs Load";
}

TEST_F(OutboundQueueTest, ListFiltersByDomainAndCountsEverything) {
  ASSERT_TRUE(queue_->Enqueue(Message(Id('a'), "m", "one.test")).ok());
  clock_.Advance(1);
  ASSERT_TRUE(queue_->Enqueue(Message(Id('b'), "mm", "two.test")).ok());
  clock_.Advance(1);
  ASSERT_TRUE(queue_->Enqueue(Message(Id('c'), "mmm", "two.test")).ok());
  absl::StatusOr<QueueListing> all = queue_->List("", 100);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->messages.size(), 3u);
  EXPECT_EQ(all->messages[0].message_id, Id('a'));
  EXPECT_EQ(all->depth, 3u);
  absl::StatusOr<QueueListing> two = queue_->List("two.test", 1);
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->messages.size(), 1u);
  EXPECT_EQ(two->messages[0].message_id, Id('b'));
  EXPECT_EQ(two->messages[0].size, 2u);
  EXPECT_EQ(two->depth, 3u);
}

TEST_F(OutboundQueueTest, TheFirstNoticeAndTheFirstReasonAreKept) {
  ASSERT_TRUE(queue_->Enqueue(Message(Id('a'), "m")).ok());
  ASSERT_TRUE(*queue_->MarkBouncing(Id('a'), "refused: no such account", 1));
  ASSERT_TRUE(*queue_->MarkBouncing(Id('a'), "a later reason", 2));
  absl::StatusOr<std::optional<std::string>> kept =
      queue_->SaveNotice(Id('a'), Id('n'), "notice one");
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ(**kept, Id('n'));
  // A second worker built another notice (sealed boxes differ): it loses.
  kept = queue_->SaveNotice(Id('a'), Id('o'), "notice two");
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ(**kept, Id('n'));
  absl::StatusOr<std::optional<QueuedMessage>> loaded = queue_->Load(Id('a'));
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->info.bounce_reason, "refused: no such account");
  EXPECT_EQ((*loaded)->info.attempts, 2u);
  EXPECT_EQ((*loaded)->notice_id, Id('n'));
  EXPECT_EQ((*loaded)->notice, "notice one");
  ASSERT_TRUE(*queue_->Remove(Id('a')));
  EXPECT_FALSE(queue_->SaveNotice(Id('a'), Id('n'), "x")->has_value());
  EXPECT_FALSE(*queue_->MarkBouncing(Id('a'), "x", 1));
}

TEST_F(OutboundQueueTest, AQueuedMessageSurvivesARedisKill) {
  ASSERT_TRUE(queue_->Enqueue(Message(Id('a'), "durable")).ok());
  redis_server_.KillHard();
  ASSERT_TRUE(redis_server_.Start());
  absl::StatusOr<std::optional<QueuedMessage>> loaded = queue_->Load(Id('a'));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->message, "durable");
}

TEST_F(OutboundQueueTest, WaitingForAMissingReplicaFailsButKeepsTheMessage) {
  QueueOptions options;
  options.wait_replicas = 1;
  options.wait_timeout_ms = 100;
  OutboundQueue waiting(*pool_, options, clock_.AsFunction());
  absl::StatusOr<EnqueueResult> queued = waiting.Enqueue(Message(Id('a'), "m"));
  EXPECT_TRUE(absl::IsUnavailable(queued.status())) << queued.status();
  EXPECT_EQ(*queue_->Depth(), 1u);
  // A batch is waited for as one write: the whole call fails, and each of
  // its messages is queued (a retry is a duplicate).
  absl::StatusOr<std::vector<EnqueueResult>> batch = waiting.EnqueueMany(
      {{Message(Id('b'), "m"), false}, {Message(Id('c'), "m"), true}});
  EXPECT_TRUE(absl::IsUnavailable(batch.status())) << batch.status();
  EXPECT_EQ(*queue_->Depth(), 3u);
}

// With a real replica, as in a replicated deployment: the enqueue answers
// only once the replica has the message, so a failover to it loses nothing.
TEST_F(OutboundQueueTest, WithAReplicaTheEnqueueIsOnTheReplicaWhenItAnswers) {
  cmtp::testing::RedisNode master;
  cmtp::testing::RedisNode replica;
  ASSERT_TRUE(master.Start());
  ASSERT_TRUE(replica.Start(master.address()));
  redis::PoolOptions pool_options;
  pool_options.address = master.address();
  absl::StatusOr<std::unique_ptr<redis::ConnectionPool>> pool =
      redis::ConnectionPool::Create(pool_options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  QueueOptions options;
  options.wait_replicas = 1;
  options.wait_timeout_ms = 5000;
  OutboundQueue replicated(**pool, options, clock_.AsFunction());
  // The replica may still be syncing: WAIT covers that as well.
  absl::StatusOr<EnqueueResult> queued = replicated.Enqueue(Message(Id('a'), "kept"));
  ASSERT_TRUE(queued.ok()) << queued.status();
  EXPECT_FALSE(queued->duplicate);
  EXPECT_EQ(replica.Cli({"ZCARD", "cmtp:relay:due"}), "1");
  EXPECT_EQ(replica.Cli({"HGET", "cmtp:relay:msg:" + Id('a'), "message"}), "kept");

  // The replica gone: the same WAIT cannot be met, and the sender is told.
  replica.KillHard();
  options.wait_timeout_ms = 200;
  OutboundQueue impatient(**pool, options, clock_.AsFunction());
  absl::StatusOr<EnqueueResult> unreplicated = impatient.Enqueue(Message(Id('b'), "m"));
  EXPECT_TRUE(absl::IsUnavailable(unreplicated.status())) << unreplicated.status();
  EXPECT_NE(unreplicated.status().message().find("replicas acknowledged"),
            absl::string_view::npos)
      << unreplicated.status();
}

}  // namespace
}  // namespace cmtp::relay
