// A peer presenting a server key other than the one pinned on first contact
// is refused and reported, its mail kept queued, until an operator re-pins.
#include <chrono>
#include <thread>

#include "lib/crypto/sodium.h"
#include "tests/federation/direct_mail.h"
#include "tests/federation/federation_test.h"
#include "tests/federation/mail_checks.h"

namespace cmtp::federation {
namespace {

using std::chrono::seconds;

class PinTest : public FederationTest {};

// The server key a suite's gateway presents, through bob's own server.
std::string ServerKeyHex(const CliUser& user, const std::string& domain) {
  // `*` names the domain's server key (docs/protocol.md).
  cmtp::testing::CommandResult key =
      user.Cmtp({"key", "*@" + domain, "--accept-new-key"});
  return key.exit_code == 0 ? key.out.substr(0, 64) : "";
}

TEST_F(PinTest, ChangedPeerKeyIsRefusedReportedAndRepinned) {
  UseStaticPeers();
  ASSERT_TRUE(StartBothAndRegister());
  // First contact: alpha's relay pins beta's server key.
  ExpectSameKeyThroughBothServers(*alice_, *bob_, kBob);
  absl::StatusOr<std::string> bob_key =
      crypto::FromHex(bob_->Cmtp({"key", kBob}).out.substr(0, 64));
  ASSERT_TRUE(bob_key.ok());
  const std::string old_beta_key = ServerKeyHex(*bob_, kBetaDomain);
  ASSERT_EQ(old_beta_key.size(), 64u);
  cmtp::testing::CommandResult pinned = Ctl(*alpha_, {"pins", "list"});
  ASSERT_TRUE(Exited(pinned, 0));
  EXPECT_TRUE(Contains(pinned.out, "beta.test  pinned " + old_beta_key));

  // beta comes back with another server key.
  beta_->StopGateway();
  beta_->StopKeyserver();
  beta_->UseNewServerKeyFile();
  ASSERT_TRUE(beta_->StartKeyserver());
  ASSERT_TRUE(beta_->StartGateway());
  const std::string new_beta_key = ServerKeyHex(*bob_, kBetaDomain);
  ASSERT_EQ(new_beta_key.size(), 64u);
  ASSERT_NE(new_beta_key, old_beta_key);

  absl::StatusOr<std::string> id =
      SendDirect({alpha_->gateway_address(), kAlice, alice_->password(), kBob, *bob_key,
                  "after the key change", "do you still know me?\n"});
  ASSERT_TRUE(id.ok()) << id.status();

  // Refused and reported: the pin shows the key beta presented, the message
  // waits, and bob has nothing.
  ASSERT_TRUE(cmtp::testing::WaitFor(
      [&] {
        return Ctl(*alpha_, {"pins", "list"}).out.find("REFUSED " + new_beta_key) !=
               std::string::npos;
      },
      seconds(15)))
      << Ctl(*alpha_, {"pins", "list"}).out;
  EXPECT_TRUE(
      Contains(Ctl(*alpha_, {"pins", "list"}).out, "beta.test  pinned " + old_beta_key));
  EXPECT_TRUE(Contains(Ctl(*alpha_, {"queue", "list"}).out, *id));
  EXPECT_EQ(bob_->CountInInbox(*id), 0);
  cmtp::testing::CommandResult stats = Ctl(*alpha_, {"relay-stats"});
  EXPECT_TRUE(Contains(stats.out, "cmtp_relay_deliveries_total 0\n"));
  EXPECT_FALSE(Contains(stats.out, "cmtp_relay_pin_refusals_total 0\n"));

  // The operator checked the new key out of band and pins it.
  cmtp::testing::CommandResult repinned = Ctl(*alpha_, {"pins", "repin", kBetaDomain});
  ASSERT_TRUE(Exited(repinned, 0));
  EXPECT_EQ(repinned.out, "pinned beta.test to " + new_beta_key + "\n");
  ASSERT_TRUE(Exited(Ctl(*alpha_, {"queue", "retry"}), 0));
  ASSERT_TRUE(bob_->WaitForMessage(*id, kDeliveryPatience));
  EXPECT_TRUE(
      Contains(Ctl(*alpha_, {"pins", "list"}).out, "beta.test  pinned " + new_beta_key));
  ASSERT_TRUE(cmtp::testing::WaitFor(
      [&] {
        return Ctl(*alpha_, {"queue", "list"}).out.empty();
      },
      seconds(10)));
  EXPECT_EQ(bob_->CountInInbox(*id), 1);
}

}  // namespace
}  // namespace cmtp::federation
