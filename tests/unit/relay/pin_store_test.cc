// Pins of foreign server keys against a real redis-server: trust on first
// use, refusal of a changed key (recorded), re-pinning and forgetting.
#include "services/relay/pin_store.h"

#include <gtest/gtest.h>

#include <memory>

#include "lib/crypto/sodium.h"
#include "tests/support/redis_server.h"
#include "tests/unit/relay/relay_test_env.h"

namespace cmtp::relay {
namespace {

class PinStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_server_.Start());
    redis::PoolOptions options;
    options.address = redis_server_.address();
    absl::StatusOr<std::unique_ptr<redis::ConnectionPool>> pool =
        redis::ConnectionPool::Create(options);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = *std::move(pool);
    pins_ = std::make_unique<PinStore>(*pool_, clock_.AsFunction());
  }

  cmtp::testing::RedisServer redis_server_;
  std::unique_ptr<redis::ConnectionPool> pool_;
  testing::FakeClock clock_;
  std::unique_ptr<PinStore> pins_;
  const std::string first_key_ = crypto::GenerateKeyPair().public_key;
  const std::string second_key_ = crypto::GenerateKeyPair().public_key;
};

TEST_F(PinStoreTest, FirstContactPinsThenTheSameKeyMatches) {
  const int64_t pinned_at = clock_.Now();
  absl::StatusOr<PinCheck> first = pins_->Check("beta.test", first_key_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->verdict, PinVerdict::kPinnedNow);
  clock_.Advance(1000);
  absl::StatusOr<PinCheck> again = pins_->Check("beta.test", first_key_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->verdict, PinVerdict::kMatches);
  absl::StatusOr<std::optional<Pin>> pin = pins_->Get("beta.test");
  ASSERT_TRUE(pin.ok() && pin->has_value());
  EXPECT_EQ((*pin)->server_public_key, first_key_);
  EXPECT_EQ((*pin)->pinned_ms, pinned_at);
  EXPECT_EQ((*pin)->refusals, 0u);
}

TEST_F(PinStoreTest, AChangedKeyIsRefusedAndTheRefusalRecorded) {
  ASSERT_TRUE(pins_->Check("beta.test", first_key_).ok());
  clock_.Advance(5000);
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<PinCheck> check = pins_->Check("beta.test", second_key_);
    ASSERT_TRUE(check.ok());
    EXPECT_EQ(check->verdict, PinVerdict::kRefused);
    EXPECT_EQ(check->pinned_key, first_key_);
  }
  absl::StatusOr<std::optional<Pin>> pin = pins_->Get("beta.test");
  ASSERT_TRUE(pin.ok() && pin->has_value());
  EXPECT_EQ((*pin)->server_public_key, first_key_);
  EXPECT_EQ((*pin)->refused_public_key, second_key_);
  EXPECT_EQ((*pin)->refused_ms, clock_.Now());
  EXPECT_EQ((*pin)->refusals, 2u);
}

TEST_F(PinStoreTest, RepinAcceptsTheNewKeyAndForgetsTheRefusals) {
  ASSERT_TRUE(pins_->Check("beta.test", first_key_).ok());
  ASSERT_TRUE(pins_->Check("beta.test", second_key_).ok());
  ASSERT_TRUE(pins_->Repin("beta.test", second_key_).ok());
  absl::StatusOr<PinCheck> check = pins_->Check("beta.test", second_key_);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->verdict, PinVerdict::kMatches);
  absl::StatusOr<std::optional<Pin>> pin = pins_->Get("beta.test");
  ASSERT_TRUE(pin.ok() && pin->has_value());
  EXPECT_EQ((*pin)->refusals, 0u);
  EXPECT_TRUE((*pin)->refused_public_key.empty());
  EXPECT_EQ(pins_->Check("beta.test", first_key_)->verdict, PinVerdict::kRefused);
}

TEST_F(PinStoreTest, ForgettingLetsTheNextContactPinAnew) {
  ASSERT_TRUE(pins_->Check("beta.test", first_key_).ok());
  ASSERT_TRUE(pins_->Repin("beta.test", "").ok());
  EXPECT_FALSE(pins_->Get("beta.test")->has_value());
  EXPECT_TRUE(pins_->List()->empty());
  EXPECT_EQ(pins_->Check("beta.test", second_key_)->verdict, PinVerdict::kPinnedNow);
}

TEST_F(PinStoreTest, ListsEveryPinByDomain) {
  ASSERT_TRUE(pins_->Check("zeta.test", first_key_).ok());
  ASSERT_TRUE(pins_->Check("beta.test", second_key_).ok());
  absl::StatusOr<std::vector<Pin>> pins = pins_->List();
  ASSERT_TRUE(pins.ok()) << pins.status();
  ASSERT_EQ(pins->size(), 2u);
  EXPECT_EQ((*pins)[0].domain, "beta.test");
  EXPECT_EQ((*pins)[0].server_public_key, second_key_);
  EXPECT_EQ((*pins)[1].domain, "zeta.test");
}

TEST_F(PinStoreTest, RefusesKeysOfTheWrongSize) {
  EXPECT_FALSE(pins_->Check("beta.test", "short").ok());
  EXPECT_FALSE(pins_->Repin("beta.test", "short").ok());
  EXPECT_FALSE(pins_->Get("beta.test")->has_value());
}

TEST(PinRefusalMessageTest, NamesTheDomainAndBothKeysShortly) {
  const std::string pinned(32, '\x01');
  const std::string offered(32, '\xab');
  EXPECT_EQ(PinRefusalMessage("beta.test", pinned, offered),
            "server key of beta.test changed: refused (pinned 01010101, offered "
            "abababab); an operator can re-pin");
}

}  // namespace
}  // namespace cmtp::relay
