// Two relay replicas of alpha.test on one Redis queue. The gateway knows
// only the first; the second finds the work by polling the shared queue. A
// replica killed with SIGKILL mid-delivery loses nothing: what it had claimed
// comes due when its leases end and the other replica delivers it. Every
// message is stored at beta.test exactly once, and the queue ends empty.
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "lib/crypto/sodium.h"
#include "tests/federation/direct_mail.h"
#include "tests/federation/federation_test.h"
#include "tests/federation/mail_checks.h"
#include "tests/support/metrics_scrape.h"

namespace cmtp::federation {
namespace {

using ::cmtp::testing::Sample;
using ::cmtp::testing::ScrapeMetrics;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kMails = 30;

class RelayReplicasTest : public FederationTest {
 protected:
  // message id -> how many times it is in bob's inbox.
  std::map<std::string, int> BobsCounts() {
    std::map<std::string, int> counts;
    for (const InboxEntry& entry : bob_->Inbox()) ++counts[entry.message_id];
    return counts;
  }
};

TEST_F(RelayReplicasTest, AReplicaKilledMidDeliveryLeavesEveryMailToTheOtherOnce) {
  UseStaticPeers();
  ASSERT_TRUE(StartBothAndRegister());
  ASSERT_TRUE(alpha_->StartSecondRelay());
  const std::string bob_key = BobsKeyForAlice();
  ASSERT_FALSE(bob_key.empty());

  // beta hangs: both replicas claim messages and wait on it, so the one
  // killed below dies holding claims.
  beta_->PauseGateway();
  absl::StatusOr<std::vector<std::string>> sent =
      SendDirectBatch({alpha_->gateway_address(), kAlice, alice_->password(), kBob,
                       bob_key, "batch", "mail number"},
                      kMails);
  ASSERT_TRUE(sent.ok()) << sent.status();
  const std::vector<std::string> ids = *sent;
  ASSERT_EQ(ids.size(), static_cast<size_t>(kMails));
  // Queued (SUCCESS means durably queued), and being worked on.
  std::this_thread::sleep_for(milliseconds(500));
  alpha_->KillRelay();
  beta_->ResumeGateway();

  // The second replica, never called by the gateway, drains the queue.
  ASSERT_TRUE(cmtp::testing::WaitFor(
      [&] {
        std::map<std::string, int> counts = BobsCounts();
        for (const std::string& id : ids) {
          if (counts[id] == 0) return false;
        }
        return true;
      },
      seconds(60)))
      << alpha_->LogTail("relay2");
  ASSERT_TRUE(cmtp::testing::WaitFor(
      [&] {
        cmtp::testing::CommandResult list =
            Ctl(*alpha_, {"queue", "list", "--relay", alpha_->second_relay_address()});
        return list.exit_code == 0 && list.out.empty();
      },
      seconds(15)))
      << Ctl(*alpha_, {"queue", "list", "--relay", alpha_->second_relay_address()}).out;
  // Longer than a lease and a retry: nothing arrives a second time.
  std::this_thread::sleep_for(seconds(4));
  std::map<std::string, int> counts = BobsCounts();
  EXPECT_EQ(counts.size(), ids.size());
  for (const std::string& id : ids) EXPECT_EQ(counts[id], 1) << id;

  // Nothing was delivered before the kill (beta hung), so the survivor
  // removed every message from the queue.
  const std::string metrics = ScrapeMetrics(alpha_->second_relay_metrics_port());
  EXPECT_EQ(Sample(metrics, "cmtp_relay_deliveries_total"), kMails) << metrics;
  EXPECT_TRUE(cmtp::testing::WaitFor(
      [&] {
        return Sample(ScrapeMetrics(alpha_->second_relay_metrics_port()),
                      "cmtp_relay_queue_depth") == 0;
      },
      seconds(5)));
}

}  // namespace
}  // namespace cmtp::federation
