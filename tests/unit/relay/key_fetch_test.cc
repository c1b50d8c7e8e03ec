// FetchKey: foreign keys asked of their real server (beta.test's gateway and
// keyserver), verified with the pinned key, cached, and refused when forged.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include "lib/client/failures.h"
#include "lib/crypto/protocol_signatures.h"
#include "lib/crypto/server_key.h"
#include "lib/wire/serializer.h"
#include "tests/support/ports.h"
#include "tests/unit/client/fake_cmtp_server.h"
#include "tests/unit/relay/relay_test_env.h"

namespace cmtp::relay {
namespace {

using testing::DomainUnderTest;
using testing::RelayUnderTest;

class KeyFetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alpha_ = std::make_unique<DomainUnderTest>(
        "alpha.test", cmtp::testing::MakeTempDir("cmtp-relay-alpha-"));
    beta_ = std::make_unique<DomainUnderTest>(
        "beta.test", cmtp::testing::MakeTempDir("cmtp-relay-beta-"));
    ASSERT_TRUE(alpha_->Start()) << alpha_->error();
    ASSERT_TRUE(beta_->Start()) << beta_->error();
    ASSERT_TRUE(beta_->StartGateway()) << beta_->error();
    absl::StatusOr<crypto::KeyPair> bob = beta_->Register("bob");
    ASSERT_TRUE(bob.ok()) << bob.status();
    bob_ = *std::move(bob);
  }

  void StartRelay(RelayOptions options = {},
                  std::map<std::string, std::string> more_peers = {}) {
    options.connect_timeout = std::chrono::milliseconds(2000);
    options.io_timeout = std::chrono::milliseconds(2000);
    more_peers["beta.test"] = beta_->gateway_address();
    relay_ = std::make_unique<RelayUnderTest>(*alpha_, more_peers, std::move(options),
                                              testing::RealWallClockMs);
    ASSERT_TRUE(relay_->Start()) << relay_->error();
  }

  RelayCore& core() { return relay_->core(); }
  uint64_t KeyFetches() { return core().Stats()->counters.key_fetches; }

  std::unique_ptr<DomainUnderTest> alpha_;
  std::unique_ptr<DomainUnderTest> beta_;
  crypto::KeyPair bob_;
  std::unique_ptr<RelayUnderTest> relay_;
};

TEST_F(KeyFetchTest, AForeignKeyIsVerifiedVouchedForAndCached) {
  StartRelay();
  absl::StatusOr<FetchedKey> key = core().FetchKey("beta.test", "bob");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->public_key, bob_.public_key);
  EXPECT_EQ(key->server_public_key, beta_->server_key().public_key);
  EXPECT_FALSE(key->from_cache);
  EXPECT_EQ(KeyFetches(), 1u);

  // Domains are case-insensitive; the cache answers, even with beta down.
  beta_->StopGateway();
  absl::StatusOr<FetchedKey> cached = core().FetchKey("Beta.Test", "bob");
  ASSERT_TRUE(cached.ok()) << cached.status();
  EXPECT_EQ(cached->public_key, bob_.public_key);
  EXPECT_TRUE(cached->from_cache);
  EXPECT_EQ(KeyFetches(), 1u);
  // Not cached: beta must be asked, and cannot be.
  absl::StatusOr<FetchedKey> unreachable = core().FetchKey("beta.test", "dave");
  EXPECT_TRUE(absl::IsUnavailable(unreachable.status())) << unreachable.status();
}

TEST_F(KeyFetchTest, NotAvailableIsCachedBriefly) {
  RelayOptions options;
  options.negative_key_cache_ms = 1000;
  StartRelay(options);
  absl::StatusOr<FetchedKey> carol = core().FetchKey("beta.test", "carol");
  EXPECT_TRUE(absl::IsNotFound(carol.status())) << carol.status();
  beta_->StopGateway();
  carol = core().FetchKey("beta.test", "carol");
  EXPECT_TRUE(absl::IsNotFound(carol.status())) << carol.status();
  EXPECT_NE(carol.status().message().find("cached"), absl::string_view::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  carol = core().FetchKey("beta.test", "carol");
  EXPECT_TRUE(absl::IsUnavailable(carol.status())) << carol.status();
}

TEST_F(KeyFetchTest, AnEmptyAccountAsksForTheServerKeyItself) {
  StartRelay();
  absl::StatusOr<FetchedKey> first = core().FetchKey("beta.test", "");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->public_key, beta_->server_key().public_key);
  EXPECT_EQ(first->server_public_key, beta_->server_key().public_key);
  EXPECT_FALSE(first->from_cache);
  // Now pinned: the pin is the answer.
  beta_->StopGateway();
  absl::StatusOr<FetchedKey> pinned = core().FetchKey("beta.test", "");
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  EXPECT_EQ(pinned->public_key, beta_->server_key().public_key);
  EXPECT_TRUE(pinned->from_cache);
}

TEST_F(KeyFetchTest, AKeyBlockNotSignedByThePinnedKeyIsRefusedAndNotCached) {
  const crypto::KeyPair server = crypto::GenerateKeyPair();
  const crypto::KeyPair forger = crypto::GenerateKeyPair();
  const std::string victim_key = crypto::GenerateKeyPair().public_key;
  cmtp::testing::FakeCmtpServer fake(
      [&](const wire::Command& command) -> std::optional<std::string> {
        if (command.kind != wire::CommandKind::kKeyRequest) return std::nullopt;
        if (command.account.empty()) {
          return crypto::MakeKeyBlock(server.secret_key.view(), server.public_key);
        }
        return crypto::MakeKeyBlock(forger.secret_key.view(), victim_key);
      },
      std::string(wire::kBanner) + '\0');
  ASSERT_TRUE(fake.listening());
  StartRelay({}, {{"fake.test", fake.endpoint().ToString()}});
  absl::StatusOr<FetchedKey> key = core().FetchKey("fake.test", "victim");
  EXPECT_TRUE(client::IsCryptoFailure(key.status())) << key.status();
  const int asked = fake.commands_seen();
  key = core().FetchKey("fake.test", "victim");
  EXPECT_TRUE(client::IsCryptoFailure(key.status())) << key.status();
  EXPECT_GT(fake.commands_seen(), asked) << "a forged answer must not be cached";
}

TEST_F(KeyFetchTest, APeerPresentingAnotherKeyIsRefused) {
  StartRelay();
  ASSERT_TRUE(core().FetchKey("beta.test", "bob").ok());
  const std::string old_key = beta_->server_key().public_key;
  absl::StatusOr<crypto::KeyPair> other = beta_->RestartWithNewServerKey();
  ASSERT_TRUE(other.ok()) << other.status();
  absl::StatusOr<FetchedKey> key = core().FetchKey("beta.test", "dave");
  EXPECT_TRUE(absl::IsUnavailable(key.status())) << key.status();
  EXPECT_EQ(key.status().message(),
            PinRefusalMessage("beta.test", old_key, other->public_key));
  EXPECT_EQ(core().Stats()->counters.pin_refusals, 1u);

  // After the operator re-pins, bob's key cached under the old pin is stale:
  // it is asked again and verified with the new pin.
  ASSERT_TRUE(core().Repin("beta.test", other->public_key).ok());
  absl::StatusOr<FetchedKey> bob = core().FetchKey("beta.test", "bob");
  ASSERT_TRUE(bob.ok()) << bob.status();
  EXPECT_FALSE(bob->from_cache);
  EXPECT_EQ(bob->public_key, bob_.public_key);
  EXPECT_EQ(bob->server_public_key, other->public_key);
}

TEST_F(KeyFetchTest, RefusesOurOwnDomainAndNamesThatAreNoDomains) {
  StartRelay();
  EXPECT_TRUE(absl::IsInvalidArgument(core().FetchKey("alpha.test", "alice").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(core().FetchKey("", "bob").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(core().FetchKey("bad domain", "bob").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(core().FetchKey("beta.test", "b\nb").status()));
}

}  // namespace
}  // namespace cmtp::relay
