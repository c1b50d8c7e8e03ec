#include "services/gateway/caching_key_directory.h"

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "lib/crypto/protocol_signatures.h"
#include "lib/crypto/sodium.h"
#include "tests/unit/gateway/fake_backends.h"

namespace cmtp::gateway {
namespace {

using namespace std::chrono_literals;
using testing::FakeAccount;
using testing::FakeKeyDirectory;

class GatewayCachingKeyDirectoryTest : public ::testing::Test {
 protected:
  GatewayCachingKeyDirectoryTest()
      : server_key_((crypto::EnsureSodium(), crypto::GenerateKeyPair())),
        fake_(std::string(server_key_.secret_key.view()), "localhost"),
        cache_({2000ms, 500ms, 100}, [this] { return now_; }),
        keys_(fake_, cache_) {}

  template <typename T>
  T Run(asio::awaitable<T> work) {
    asio::io_context io;
    auto result = asio::co_spawn(io, std::move(work), asio::use_future);
    io.run();
    return result.get();
  }
  absl::StatusOr<KeyBlock> Get(const std::string& account) {
    return Run(keys_.GetAccountKey(account));
  }
  void AddAccount(const std::string& name) {
    FakeAccount account;
    account.public_key = crypto::GenerateKeyPair().public_key;
    fake_.AddAccount(name, account);
  }

  crypto::KeyPair server_key_;
  FakeKeyDirectory fake_;
  std::chrono::steady_clock::time_point now_{};
  KeyBlockCache cache_;
  CachingKeyDirectory keys_;
};

TEST_F(GatewayCachingKeyDirectoryTest, AsksOncePerTtlAndServesTheSameBytes) {
  AddAccount("bob");
  absl::StatusOr<KeyBlock> first = Get("bob");
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<KeyBlock> second = Get("bob");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->wire_bytes, first->wire_bytes);
  EXPECT_EQ(second->public_key, first->public_key);
  EXPECT_EQ(fake_.account_key_lookups(), 1);
  now_ += 2000ms;
  ASSERT_TRUE(Get("bob").ok());
  EXPECT_EQ(fake_.account_key_lookups(), 2);
}

TEST_F(GatewayCachingKeyDirectoryTest, ARekeyedAccountIsServedAfterTheTtl) {
  AddAccount("bob");
  absl::StatusOr<KeyBlock> old_key = Get("bob");
  ASSERT_TRUE(old_key.ok());
  AddAccount("bob");  // a new identity key
  EXPECT_EQ(Get("bob")->public_key, old_key->public_key);
  now_ += 2000ms;
  absl::StatusOr<KeyBlock> new_key = Get("bob");
  ASSERT_TRUE(new_key.ok());
  EXPECT_NE(new_key->public_key, old_key->public_key);
}

TEST_F(GatewayCachingKeyDirectoryTest, NotFoundIsKeptForTheNegativeTtl) {
  EXPECT_TRUE(absl::IsNotFound(Get("ghost").status()));
  AddAccount("ghost");  // registered at another gateway
  EXPECT_TRUE(absl::IsNotFound(Get("ghost").status()));
  EXPECT_EQ(fake_.account_key_lookups(), 1);
  now_ += 500ms;
  EXPECT_TRUE(Get("ghost").ok());
}

TEST_F(GatewayCachingKeyDirectoryTest, AnOutageIsNotRemembered) {
  fake_.SetOutage(absl::UnavailableError("keyserver down"));
  EXPECT_TRUE(absl::IsUnavailable(Get("bob").status()));
  fake_.SetOutage(std::nullopt);
  AddAccount("bob");
  EXPECT_TRUE(Get("bob").ok());
  EXPECT_EQ(fake_.account_key_lookups(), 2);
}

TEST_F(GatewayCachingKeyDirectoryTest, RegisteringHereDropsANegativeEntry) {
  EXPECT_TRUE(absl::IsNotFound(Get("carol").status()));
  crypto::KeyPair carol = crypto::GenerateKeyPair();
  Registration registration;
  registration.account = "carol";
  registration.domain = "localhost";
  registration.public_key = carol.public_key;
  registration.signature = crypto::Sign(
      carol.secret_key.view(),
      crypto::RegisterSignedBytes("carol", "localhost", carol.public_key, "", ""));
  absl::Status registered = Run(keys_.Register(registration));
  ASSERT_TRUE(registered.ok()) << registered;
  EXPECT_TRUE(Get("carol").ok());
}

TEST_F(GatewayCachingKeyDirectoryTest, DisabledCacheAsksEveryTime) {
  KeyBlockCache off({0ms, 0ms, 100}, [this] { return now_; });
  CachingKeyDirectory uncached(fake_, off);
  AddAccount("bob");
  ASSERT_TRUE(Run(uncached.GetAccountKey("bob")).ok());
  ASSERT_TRUE(Run(uncached.GetAccountKey("bob")).ok());
  EXPECT_EQ(fake_.account_key_lookups(), 2);
}

}  // namespace
}  // namespace cmtp::gateway
