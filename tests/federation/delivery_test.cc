// The relay's queue under trouble: a destination that is down, a relay
// killed in the middle of a delivery, and a destination that never answers.
// Whatever happens, the recipient stores the message once, or the sender
// learns, signed by her server, that it could not be delivered.
#include <chrono>
#include <thread>
#include <vector>

#include "lib/crypto/sodium.h"
#include "tests/federation/direct_mail.h"
#include "tests/federation/federation_test.h"
#include "tests/federation/mail_checks.h"
#include "tests/federation/silent_listener.h"

namespace cmtp::federation {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class DeliveryTest : public FederationTest {
 protected:
  // alice → bob through her gateway, without asking anyone for bob's key.
  std::string SendToBob(const std::string& bob_key, const std::string& text) {
    absl::StatusOr<std::string> id =
        SendDirect({alpha_->gateway_address(), kAlice, alice_->password(), kBob, bob_key,
                    "queued", text});
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : std::string();
  }

  // The relay's view of one queued message (`cmtpctl queue show`).
  std::string QueueShow(const DomainSuite& suite, const std::string& id) {
    return Ctl(suite, {"queue", "show", id}).out;
  }
};

TEST_F(DeliveryTest, MailWaitsForADestinationThatIsDownAndArrivesOnce) {
  UseStaticPeers();
  ASSERT_TRUE(StartBothAndRegister());
  const std::string bob_key = BobsKeyForAlice();

  beta_->StopGateway();
  const std::string id = SendToBob(bob_key, "sent while beta was down\n");
  ASSERT_FALSE(id.empty()) << "SUCCESS means queued, not delivered";

  // The relay tries, fails and says why; the message stays queued.
  ASSERT_TRUE(cmtp::testing::WaitFor(
      [&] { return QueueShow(*alpha_, id).find("attempts: 0\n") == std::string::npos; },
      seconds(10)))
      << QueueShow(*alpha_, id);
  EXPECT_TRUE(Contains(QueueShow(*alpha_, id), "to: bob@beta.test\n"));

  ASSERT_TRUE(beta_->StartGateway());
  ASSERT_TRUE(bob_->WaitForMessage(id, kDeliveryPatience));
  ASSERT_TRUE(cmtp::testing::WaitFor(
      [&] {
        return Ctl(*alpha_, {"queue", "list"}).out.empty();
      },
      seconds(10)));
  EXPECT_EQ(bob_->CountInInbox(id), 1);
  cmtp::testing::CommandResult read = bob_->Cmtp({"read", id, "--out-dir", dir_ + "/r"});
  ASSERT_TRUE(Exited(read, 0));
  EXPECT_TRUE(Contains(read.out, "sent while beta was down\n"));

  cmtp::testing::CommandResult stats = Ctl(*alpha_, {"relay-stats"});
  ASSERT_TRUE(Exited(stats, 0));
  EXPECT_TRUE(Contains(stats.out, "cmtp_relay_deliveries_total 1\n"));
  EXPECT_TRUE(Contains(stats.out, "cmtp_relay_queue_depth 0\n"));
}

TEST_F(DeliveryTest, RelayKilledMidDeliveryLosesNothingAndStoresOnce) {
  UseStaticPeers();
  ASSERT_TRUE(StartBothAndRegister());
  const std::string bob_key = BobsKeyForAlice();

  // beta hangs: the relay connects and sends, and waits for a reply that
  // does not come. It is killed while it waits.
  beta_->PauseGateway();
  const std::string id = SendToBob(bob_key, "sent through a dying relay\n");
  ASSERT_FALSE(id.empty());
  std::this_thread::sleep_for(milliseconds(800));
  alpha_->KillRelay();
  // beta wakes up and may well store what the dead relay had sent.
  beta_->ResumeGateway();

  ASSERT_TRUE(alpha_->StartRelay());
  ASSERT_TRUE(bob_->WaitForMessage(id, kDeliveryPatience));
  ASSERT_TRUE(cmtp::testing::WaitFor(
      [&] {
        return Ctl(*alpha_, {"queue", "list"}).out.empty();
      },
      seconds(15)));
  // One more retry period: nothing arrives twice.
  std::this_thread::sleep_for(seconds(2));
  EXPECT_EQ(bob_->CountInInbox(id), 1);
}

TEST_F(DeliveryTest, DestinationThatNeverAnswersYieldsASignedFailureNotice) {
  // gamma.test's server accepts connections and never says a word.
  SilentListener gamma;
  ASSERT_NE(gamma.port(), 0);
  UseStaticPeers();
  alpha_->relay_setup().static_peers +=
      ",gamma.test=127.0.0.1:" + std::to_string(gamma.port());
  alpha_->relay_setup().max_queue_lifetime_seconds = 4;
  ASSERT_TRUE(StartBothAndRegister());

  // Nobody can ask gamma for carol's key: the message is sealed to a key of
  // the test's making.
  const std::string carol_key = crypto::GenerateKeyPair().public_key;
  absl::StatusOr<std::string> id = SendDirect(
      {alpha_->gateway_address(), kAlice, alice_->password(), "carol@gamma.test",
       carol_key, "into the void", "this one will not arrive\n"});
  ASSERT_TRUE(id.ok()) << id.status();

  const std::string notice =
      alice_->WaitForMessageFrom("postmaster@alpha.test", kDeliveryPatience);
  ASSERT_FALSE(notice.empty()) << "no failure notice for alice";
  cmtp::testing::CommandResult read =
      alice_->Cmtp({"read", notice, "--out-dir", dir_ + "/notice"});
  ASSERT_TRUE(Exited(read, 0));
  // Signed by alice's own server, and it says which message, to whom, and
  // that it could not be delivered.
  EXPECT_TRUE(Contains(read.out, "From: postmaster@alpha.test\n"));
  EXPECT_TRUE(Contains(read.out, "Signature: verified (postmaster@alpha.test)\n"));
  EXPECT_TRUE(Contains(read.out, *id));
  EXPECT_TRUE(Contains(read.out, "carol@gamma.test"));
  // Given up: no longer queued, counted as a bounce.
  EXPECT_TRUE(Ctl(*alpha_, {"queue", "list"}).out.empty());
  EXPECT_TRUE(
      Contains(Ctl(*alpha_, {"relay-stats"}).out, "cmtp_relay_bounces_total 1\n"));
  EXPECT_GT(gamma.connections(), 0) << "the relay never tried gamma.test";
}

}  // namespace
}  // namespace cmtp::federation
