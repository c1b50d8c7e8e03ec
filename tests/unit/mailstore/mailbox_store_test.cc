// MailboxStore against a real redis-server (AOF, appendfsync always).
#include "services/mailstore/mailbox_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/redis_server.h"

namespace cmtp::mailstore {
namespace {

using ::cmtp::testing::RedisServer;
using ::cmtp::testing::WaitFor;
using namespace std::string_literals;

// A valid message id made from a number.
std::string Id(unsigned number) {
  char id[33];
  std::snprintf(id, sizeof(id), "%032x", number);
  return id;
}

class MailboxStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start());
    pool_ = MakePool(redis_.address());
    ASSERT_NE(pool_, nullptr);
    store_ = MakeStore(MailboxStoreOptions{});
  }

  static std::unique_ptr<redis::ConnectionPool> MakePool(const std::string& address) {
    redis::PoolOptions options;
    options.address = address;
    options.size = 8;
    options.connect_timeout = std::chrono::milliseconds(500);
    auto pool = redis::ConnectionPool::Create(options);
    if (!pool.ok()) {
      ADD_FAILURE() << pool.status();
      return nullptr;
    }
    return *std::move(pool);
  }

  std::unique_ptr<MailboxStore> MakeStore(MailboxStoreOptions options) {
    return std::make_unique<MailboxStore>(*pool_, options,
                                          [this] { return now_ms_.load(); });
  }

  // Number of keys in Redis: shows that a refused request left nothing.
  std::string KeyCount() const { return redis_.Cli({"DBSIZE"}); }

  RedisServer redis_;
  std::unique_ptr<redis::ConnectionPool> pool_;
  std::atomic<int64_t> now_ms_{1700000000000};
  std::unique_ptr<MailboxStore> store_;
};

TEST_F(MailboxStoreTest, PutListGetDeleteStats) {
  auto put = store_->Put("alice", Id(1), "blob one", "bob", "example.org");
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_FALSE(put->duplicate);
  EXPECT_EQ(put->meta.message_id, Id(1));
  EXPECT_EQ(put->meta.size, 8u);
  EXPECT_EQ(put->meta.arrival_unix_ms, 1700000000000);
  EXPECT_EQ(put->meta.sequence, 1u);
  EXPECT_EQ(put->meta.src_account, "bob");
  EXPECT_EQ(put->meta.src_domain, "example.org");

  now_ms_ = 1700000000500;
  ASSERT_TRUE(
      store_->Put("alice", Id(2), "blob number two", "carol", "example.net").ok());

  auto list = store_->List("alice");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0], put->meta);
  EXPECT_EQ((*list)[1].message_id, Id(2));
  EXPECT_EQ((*list)[1].arrival_unix_ms, 1700000000500);
  EXPECT_EQ((*list)[1].sequence, 2u);
  EXPECT_EQ((*list)[1].src_account, "carol");

  auto get = store_->Get("alice", Id(2));
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->blob, "blob number two");
  EXPECT_EQ(get->meta, (*list)[1]);

  auto stats = store_->Stats("alice");
  ASSERT_TRUE(stats.ok()) << stats.status();
  ASSERT_EQ(stats->size(), 1u);
  EXPECT_EQ((*stats)[0], (MailboxStats{"alice", 2, 8 + 15}));

  ASSERT_TRUE(store_->Delete("alice", Id(1)).ok());
  EXPECT_EQ(store_->Get("alice", Id(1)).status().code(), absl::StatusCode::kNotFound);
  auto after = store_->List("alice");
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].message_id, Id(2));
  auto stats_after = store_->Stats("alice");
  ASSERT_TRUE(stats_after.ok());
  EXPECT_EQ((*stats_after)[0], (MailboxStats{"alice", 1, 15}));
}

TEST_F(MailboxStoreTest, KeysAreTheDocumentedOnes) {
  ASSERT_TRUE(store_->Put("alice", Id(9), "bytes", "bob", "example.org").ok());
  std::string prefix = "cmtp:mbox:{alice}:";
  EXPECT_EQ(redis_.Cli({"GET", prefix + "blob:" + Id(9)}), "bytes");
  EXPECT_EQ(redis_.Cli({"ZSCORE", prefix + "index", Id(9)}), "1");
  EXPECT_EQ(redis_.Cli({"HEXISTS", prefix + "meta", Id(9)}), "1");
  EXPECT_EQ(redis_.Cli({"GET", prefix + "seq"}), "1");
  EXPECT_EQ(redis_.Cli({"SMEMBERS", "cmtp:mailboxes"}), "alice");
  EXPECT_EQ(KeyCount(), "5");

  ASSERT_TRUE(store_->Delete("alice", Id(9)).ok());
  EXPECT_EQ(redis_.Cli({"EXISTS", prefix + "blob:" + Id(9)}), "0");
  EXPECT_EQ(redis_.Cli({"ZCARD", prefix + "index"}), "0");
  EXPECT_EQ(redis_.Cli({"HLEN", prefix + "meta"}), "0");
}

TEST_F(MailboxStoreTest, SameIdTwiceIsStoredOnce) {
  auto first = store_->Put("alice", Id(1), "original", "bob", "example.org");
  ASSERT_TRUE(first.ok()) << first.status();
  now_ms_ += 1000;
  auto second =
      store_->Put("alice", Id(1), "a retry with a longer log", "bob", "example.org");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->duplicate);
  EXPECT_EQ(second->meta, first->meta);  // the first put's size, time and sequence

  auto list = store_->List("alice");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
  EXPECT_EQ(store_->Get("alice", Id(1))->blob, "original");
  // The retry drew no sequence number.
  auto next = store_->Put("alice", Id(2), "next", "bob", "example.org");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->meta.sequence, 2u);
  // The same id in another mailbox is another message.
  auto elsewhere = store_->Put("carol", Id(1), "original", "bob", "example.org");
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_FALSE(elsewhere->duplicate);
}

TEST_F(MailboxStoreTest, ListIsInArrivalOrder) {
  // Ids arrive in an order unrelated to their text, into a hash Redis keeps
  // as a real hash table (a compact one would keep insertion order), so the
  // order must come from the sequences.
  ASSERT_EQ(redis_.Cli({"CONFIG", "SET", "hash-max-listpack-entries", "0"}), "OK");
  std::vector<unsigned> arrival;
  for (unsigned i = 0; i < 100; ++i) arrival.push_back((i * 7919u) % 100003u + 1);
  for (unsigned number : arrival) {
    now_ms_ += 1;
    ASSERT_TRUE(store_->Put("alice", Id(number), "x", "bob", "example.org").ok());
  }
  ASSERT_EQ(redis_.Cli({"OBJECT", "ENCODING", "cmtp:mbox:{alice}:meta"}), "hashtable");
  auto list = store_->List("alice");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), arrival.size());
  for (size_t i = 0; i < arrival.size(); ++i) {
    EXPECT_EQ((*list)[i].message_id, Id(arrival[i])) << i;
    EXPECT_EQ((*list)[i].sequence, i + 1);
  }
}

TEST_F(MailboxStoreTest, EmptyMailboxListsNothingAndCountsZero) {
  auto list = store_->List("nobody");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_TRUE(list->empty());
  auto stats = store_->Stats("nobody");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(*stats, (std::vector<MailboxStats>{{"nobody", 0, 0}}));
  auto all = store_->Stats("");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

TEST_F(MailboxStoreTest, StatsOfEveryMailboxSortedByName) {
  ASSERT_TRUE(store_->Put("zoe", Id(1), "12345", "a", "b").ok());
  ASSERT_TRUE(store_->Put("alice", Id(1), "123", "a", "b").ok());
  ASSERT_TRUE(store_->Put("alice", Id(2), "1234567", "a", "b").ok());
  ASSERT_TRUE(store_->Put("mallory", Id(1), "1", "a", "b").ok());
  ASSERT_TRUE(store_->Delete("mallory", Id(1)).ok());
  auto all = store_->Stats("");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, (std::vector<MailboxStats>{
                      {"alice", 2, 10}, {"mallory", 0, 0}, {"zoe", 1, 5}}));
}

TEST_F(MailboxStoreTest, StatsOfManyMailboxesSpanBatches) {
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(
        store_->Put("user" + std::to_string(1000 + i), Id(1), "ab", "a", "b").ok());
  }
  auto all = store_->Stats("");
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 300u);
  EXPECT_EQ(all->front(), (MailboxStats{"user1000", 1, 2}));
  EXPECT_EQ(all->back(), (MailboxStats{"user1299", 1, 2}));
}

TEST_F(MailboxStoreTest, InvalidPutsStoreNothing) {
  struct Case {
    std::string mailbox, id, blob, account, domain;
    absl::StatusCode code;
  };
  std::vector<Case> cases = {
      {"", Id(1), "b", "a", "d", absl::StatusCode::kInvalidArgument},
      {std::string(256, 'm'), Id(1), "b", "a", "d", absl::StatusCode::kInvalidArgument},
      {"al{ice", Id(1), "b", "a", "d", absl::StatusCode::kInvalidArgument},
      {"al}ice", Id(1), "b", "a", "d", absl::StatusCode::kInvalidArgument},
      {"al:ice", Id(1), "b", "a", "d", absl::StatusCode::kInvalidArgument},
      {"al\0ice"s, Id(1), "b", "a", "d", absl::StatusCode::kInvalidArgument},
      {"alice", "0123456789ABCDEF0123456789ABCDEF", "b", "a", "d",
       absl::StatusCode::kInvalidArgument},
      {"alice", "short", "b", "a", "d", absl::StatusCode::kInvalidArgument},
      {"alice", Id(1), "", "a", "d", absl::StatusCode::kInvalidArgument},
      {"alice", Id(1), "b", "a\0b"s, "d", absl::StatusCode::kInvalidArgument},
      {"alice", Id(1), "b", "a", std::string(256, 'd'),
       absl::StatusCode::kInvalidArgument},
  };
  for (const Case& c : cases) {
    auto put = store_->Put(c.mailbox, c.id, c.blob, c.account, c.domain);
    EXPECT_EQ(put.status().code(), c.code) << c.mailbox.size() << " " << c.id;
  }
  EXPECT_EQ(KeyCount(), "0");
  EXPECT_EQ(store_->List("a:b").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Get("alice", "nope").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Delete("", Id(1)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Stats("x{y}").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(MailboxStoreTest, BlobCapIsEnforced) {
  MailboxStoreOptions options;
  options.max_blob_bytes = 1000;
  auto store = MakeStore(options);
  ASSERT_TRUE(store->Put("alice", Id(1), std::string(1000, 'x'), "a", "d").ok());
  auto too_big = store->Put("alice", Id(2), std::string(1001, 'x'), "a", "d");
  EXPECT_EQ(too_big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(too_big.status().message(),
            "message blob is 1001 bytes, more than the limit of 1000");
  auto list = store->List("alice");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
  EXPECT_EQ(redis_.Cli({"EXISTS", "cmtp:mbox:{alice}:blob:" + Id(2)}), "0");
}

TEST_F(MailboxStoreTest, BinaryBlobsOfSeveralMegabytesRoundTrip) {
  std::string blob(5 << 20, '\0');
  for (size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>((i * 7919) >> 3);
  auto put = store_->Put("alice", Id(1), blob, "bob", "example.org");
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->meta.size, blob.size());
  auto get = store_->Get("alice", Id(1));
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_TRUE(get->blob == blob);
}

TEST_F(MailboxStoreTest, MissingMessagesAreNotFound) {
  EXPECT_EQ(store_->Get("alice", Id(1)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Delete("alice", Id(1)).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store_->Put("alice", Id(1), "x", "a", "d").ok());
  EXPECT_EQ(store_->Get("bob", Id(1)).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store_->Delete("alice", Id(1)).ok());
  EXPECT_EQ(store_->Delete("alice", Id(1)).code(), absl::StatusCode::kNotFound);
}

TEST_F(MailboxStoreTest, AcknowledgedPutSurvivesKillNine) {
  auto put = store_->Put("alice", Id(42), "durable bytes", "bob", "example.org");
  ASSERT_TRUE(put.ok()) << put.status();
  redis_.KillHard();
  ASSERT_TRUE(redis_.Start());
  auto get = store_->Get("alice", Id(42));
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->blob, "durable bytes");
  EXPECT_EQ(get->meta, put->meta);
  // The sequence counter survived too: the next message comes after it.
  auto next = store_->Put("alice", Id(43), "more", "bob", "example.org");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->meta.sequence, 2u);
}

TEST_F(MailboxStoreTest, RedisDownIsUnavailableThenRecovers) {
  ASSERT_TRUE(store_->Put("alice", Id(1), "x", "a", "d").ok());
  redis_.KillHard();
  EXPECT_EQ(store_->Put("alice", Id(2), "y", "a", "d").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->List("alice").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->Get("alice", Id(1)).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->Delete("alice", Id(1)).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_->Stats("").status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(redis_.Start());
  // The restarted Redis has an empty script cache: NOSCRIPT is handled.
  auto put = store_->Put("alice", Id(2), "y", "a", "d");
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_EQ(put->meta.sequence, 2u);
}

TEST_F(MailboxStoreTest, PutAfterScriptFlush) {
  ASSERT_TRUE(store_->Put("alice", Id(1), "x", "a", "d").ok());
  ASSERT_EQ(redis_.Cli({"SCRIPT", "FLUSH"}), "OK");
  auto put = store_->Put("alice", Id(2), "y", "a", "d");
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_FALSE(put->duplicate);
  EXPECT_EQ(put->meta.sequence, 2u);
  ASSERT_EQ(redis_.Cli({"SCRIPT", "FLUSH"}), "OK");
  ASSERT_TRUE(store_->Delete("alice", Id(1)).ok());
  EXPECT_EQ(store_->List("alice")->size(), 1u);
}

TEST_F(MailboxStoreTest, FullRedisRefusesThePutWholeButStillDeletes) {
  ASSERT_TRUE(store_->Put("alice", Id(1), "first", "a", "d").ok());
  std::string keys_before = KeyCount();
  ASSERT_EQ(redis_.Cli({"CONFIG", "SET", "maxmemory", "1"}), "OK");
  auto refused = store_->Put("alice", Id(2), "second", "a", "d");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  EXPECT_TRUE(redis::IsRedisError(refused.status(), "OOM")) << refused.status();
  EXPECT_EQ(KeyCount(), keys_before);
  EXPECT_EQ(redis_.Cli({"GET", "cmtp:mbox:{alice}:seq"}), "1");
  // Deleting frees memory, so it is allowed on a full Redis.
  ASSERT_TRUE(store_->Delete("alice", Id(1)).ok());
  ASSERT_EQ(redis_.Cli({"CONFIG", "SET", "maxmemory", "0"}), "OK");
  auto stored = store_->Put("alice", Id(2), "second", "a", "d");
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->meta.sequence, 2u);
}

// Ids for the items of a PutMany, which only view their strings: Id(1) is
// ids[1].
std::vector<std::string> BatchIds() {
  std::vector<std::string> ids;
  for (unsigned number = 0; number < 8; ++number) ids.push_back(Id(number));
  return ids;
}

TEST_F(MailboxStoreTest, PutManyStoresEachInOrderAndAnswersARepeatAsADuplicate) {
  const std::vector<std::string> ids = BatchIds();
  std::vector<PutItem> items = {{"alice", ids[1], "one", "bob", "example.org"},
                                {"carol", ids[2], "two", "bob", "example.org"},
                                {"alice", ids[3], "three", "dave", "example.net"},
                                {"alice", ids[1], "one again", "bob", "example.org"}};
  auto outcomes = store_->PutMany(items);
  ASSERT_TRUE(outcomes.ok()) << outcomes.status();
  ASSERT_EQ(outcomes->size(), 4u);
  for (const auto& outcome : *outcomes) ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_FALSE((*outcomes)[0]->duplicate);
  EXPECT_EQ((*outcomes)[0]->meta.sequence, 1u);
  EXPECT_EQ((*outcomes)[1]->meta.sequence, 1u);  // carol's own first
  EXPECT_EQ((*outcomes)[2]->meta.sequence, 2u);
  EXPECT_EQ((*outcomes)[2]->meta.src_account, "dave");
  EXPECT_TRUE((*outcomes)[3]->duplicate);
  EXPECT_EQ((*outcomes)[3]->meta.size, 3u);  // the first put's
  auto listed = store_->List("alice");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].message_id, Id(1));
  EXPECT_EQ((*listed)[1].message_id, Id(3));
  auto got = store_->Get("alice", Id(1));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->blob, "one");
  EXPECT_EQ(store_->Get("carol", Id(2))->blob, "two");
}

TEST_F(MailboxStoreTest, PutManyFailsAnInvalidItemAloneAndStoresTheRest) {
  const std::vector<std::string> ids = BatchIds();
  std::vector<PutItem> items = {{"alice", ids[1], "one", "bob", "example.org"},
                                {"al{ice", ids[2], "two", "bob", "example.org"},
                                {"alice", "short", "three", "bob", "example.org"},
                                {"alice", ids[4], "four", "bob", "example.org"}};
  auto outcomes = store_->PutMany(items);
  ASSERT_TRUE(outcomes.ok()) << outcomes.status();
  ASSERT_EQ(outcomes->size(), 4u);
  EXPECT_TRUE((*outcomes)[0].ok()) << (*outcomes)[0].status();
  EXPECT_EQ((*outcomes)[1].status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*outcomes)[2].status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE((*outcomes)[3].ok()) << (*outcomes)[3].status();
  EXPECT_EQ((*outcomes)[3]->meta.sequence, 2u);
  EXPECT_EQ(store_->List("alice")->size(), 2u);
  EXPECT_EQ(redis_.Cli({"EXISTS", "cmtp:mbox:{al{ice}:meta"}), "0");
}

TEST_F(MailboxStoreTest, PutManyOfOnlyInvalidItemsSendsNothing) {
  const std::vector<std::string> ids = BatchIds();
  auto outcomes = store_->PutMany({{"", ids[1], "one", "bob", "example.org"}});
  ASSERT_TRUE(outcomes.ok()) << outcomes.status();
  EXPECT_EQ(outcomes->front().status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(KeyCount(), "0");
}

TEST_F(MailboxStoreTest, PutManyRefusesAnEmptyOrOversizedBatchWhole) {
  const std::vector<std::string> ids = BatchIds();
  MailboxStoreOptions options;
  options.max_batch_puts = 2;
  auto store = MakeStore(options);
  EXPECT_EQ(store->PutMany({}).status().code(), absl::StatusCode::kInvalidArgument);
  auto oversized = store->PutMany({{"alice", ids[1], "1", "a", "d"},
                                   {"alice", ids[2], "2", "a", "d"},
                                   {"alice", ids[3], "3", "a", "d"}});
  EXPECT_EQ(oversized.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(oversized.status().message(), "a batch holds 1 to 2 puts, not 3");
  EXPECT_EQ(KeyCount(), "0");
  options.max_batch_puts = 0;
  EXPECT_EQ(ValidateOptions(options).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(MailboxStoreTest, FullRedisRefusesAPutManyWhole) {
  const std::vector<std::string> ids = BatchIds();
  ASSERT_TRUE(store_->Put("alice", Id(1), "first", "a", "d").ok());
  std::string keys_before = KeyCount();
  ASSERT_EQ(redis_.Cli({"CONFIG", "SET", "maxmemory", "1"}), "OK");
  auto outcomes = store_->PutMany(
      {{"alice", ids[2], "second", "a", "d"}, {"bob", ids[3], "third", "a", "d"}});
  ASSERT_EQ(redis_.Cli({"CONFIG", "SET", "maxmemory", "0"}), "OK");
  ASSERT_TRUE(outcomes.ok()) << outcomes.status();
  for (const auto& outcome : *outcomes) {
    EXPECT_EQ(outcome.status().code(), absl::StatusCode::kUnavailable)
        << outcome.status();
    EXPECT_TRUE(redis::IsRedisError(outcome.status(), "OOM")) << outcome.status();
  }
  EXPECT_EQ(KeyCount(), keys_before);
}

TEST_F(MailboxStoreTest, ConcurrentPutsDrawDistinctSequences) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  std::atomic<int> failures{0};
  std::atomic<int> first_puts_of_shared_id{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!store_->Put("alice", Id(t * 1000 + i + 1), "blob", "a", "d").ok())
          ++failures;
        // Every thread also races to put one shared id.
        auto shared = store_->Put("alice", Id(0xfffff), "shared", "a", "d");
        if (!shared.ok()) ++failures;
        if (shared.ok() && !shared->duplicate) ++first_puts_of_shared_id;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(first_puts_of_shared_id.load(), 1);
  auto list = store_->List("alice");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), static_cast<size_t>(kThreads * kPerThread + 1));
  std::set<uint64_t> sequences;
  for (const MessageMeta& meta : *list) sequences.insert(meta.sequence);
  EXPECT_EQ(sequences.size(), list->size());
  EXPECT_EQ(*sequences.begin(), 1u);
  EXPECT_EQ(*sequences.rbegin(), list->size());
}

TEST_F(MailboxStoreTest, WaitForReplicasFailsWithoutThem) {
  MailboxStoreOptions options;
  options.wait_replicas = 1;
  options.wait_timeout_ms = 100;
  auto store = MakeStore(options);
  auto put = store->Put("alice", Id(1), "x", "a", "d");
  EXPECT_EQ(put.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(put.status().message(),
            "message stored, but only 0 of 1 replicas acknowledged it within 100 ms");
  // Stored locally all the same; a retry is a duplicate (and waits again).
  EXPECT_TRUE(store->Get("alice", Id(1)).ok());
}

TEST_F(MailboxStoreTest, WaitForReplicasSucceedsWithOne) {
  RedisServer replica;
  ASSERT_TRUE(replica.Start());
  // Redis waits 5 s by default for more replicas before a diskless full sync.
  ASSERT_EQ(redis_.Cli({"CONFIG", "SET", "repl-diskless-sync-delay", "0"}), "OK");
  ASSERT_EQ(replica.Cli({"REPLICAOF", "127.0.0.1", std::to_string(redis_.port())}), "OK");
  ASSERT_TRUE(WaitFor([&] {
    return redis_.Cli({"INFO", "replication"}).find("state=online") != std::string::npos;
  }));
  MailboxStoreOptions options;
  options.wait_replicas = 1;
  options.wait_timeout_ms = 5000;
  auto store = MakeStore(options);
  auto put = store->Put("alice", Id(1), "replicated", "a", "d");
  ASSERT_TRUE(put.ok()) << put.status();
  // WAIT returned, so the replica has it already.
  EXPECT_EQ(replica.Cli({"GET", "cmtp:mbox:{alice}:blob:" + Id(1)}), "replicated");
  auto again = store->Put("alice", Id(1), "replicated", "a", "d");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate);
}

TEST(MailboxStoreOptionsTest, InvalidOptionsAreRefused) {
  MailboxStoreOptions options;
  EXPECT_TRUE(ValidateOptions(options).ok());
  options.max_blob_bytes = 0;
  EXPECT_EQ(ValidateOptions(options).code(), absl::StatusCode::kInvalidArgument);
  options = MailboxStoreOptions{};
  options.wait_replicas = -1;
  EXPECT_EQ(ValidateOptions(options).code(), absl::StatusCode::kInvalidArgument);
  options.wait_replicas = 1;
  options.wait_timeout_ms = 0;
  EXPECT_EQ(ValidateOptions(options).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cmtp::mailstore
