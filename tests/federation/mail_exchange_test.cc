// alice@alpha.test and bob@beta.test, each on their own complete suite,
// found through the static peer map: keys fetched through their own server,
// mail with attachments both ways, signatures and the path verified by
// `cmtp read`, every message stored once.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_split.h"
#include "tests/federation/federation_test.h"
#include "tests/federation/mail_checks.h"

namespace cmtp::federation {
namespace {

class MailExchangeTest : public FederationTest {};

TEST_F(MailExchangeTest, AliceAndBobWriteBothWaysWithAttachments) {
  UseStaticPeers();
  ASSERT_TRUE(StartBothAndRegister());

  // Each fetches the other's key through their own server; it is the key the
  // owner's own server publishes.
  ExpectSameKeyThroughBothServers(*alice_, *bob_, kBob);
  ExpectSameKeyThroughBothServers(*bob_, *alice_, kAlice);

  // Binary and text attachments, one of them larger than a read chunk.
  std::string photo(200 * 1024, '\0');
  for (size_t i = 0; i < photo.size(); ++i) photo[i] = static_cast<char>(i * 131 + 7);
  const std::string photo_path = alice_->WriteFile("photo.bin", photo);
  const std::string notes_path = alice_->WriteFile("notes.txt", "bring the keys\n");

  const std::string to_bob = alice_->Send(
      kBob, "Hello from alpha", "Hi Bob,\nhow is beta?\n", {photo_path, notes_path});
  ASSERT_FALSE(to_bob.empty());
  ASSERT_TRUE(bob_->WaitForMessage(to_bob, kDeliveryPatience));
  {
    const std::string out_dir = dir_ + "/bob-read";
    cmtp::testing::CommandResult read =
        bob_->Cmtp({"read", to_bob, "--out-dir", out_dir});
    ASSERT_TRUE(Exited(read, 0));
    EXPECT_TRUE(Contains(read.out, "From: alice@alpha.test\n"));
    EXPECT_TRUE(Contains(read.out, "Subject: Hello from alpha\n"));
    EXPECT_TRUE(Contains(read.out, "Signature: verified (alice@alpha.test)\n"));
    EXPECT_TRUE(Contains(read.out, "Hi Bob,\nhow is beta?\n"));
    // One entry per server that accepted it, both verified.
    EXPECT_EQ(PathVerdicts(read.out),
              (std::vector<std::string>{"alpha.test: verified", "beta.test: verified"}));
    EXPECT_EQ(ReadFile(out_dir + "/photo.bin"), photo);
    EXPECT_EQ(ReadFile(out_dir + "/notes.txt"), "bring the keys\n");
  }

  const std::string reply_path = bob_->WriteFile("reply.txt", "a reply attachment");
  const std::string to_alice =
      bob_->Send(kAlice, "Re: Hello from alpha", "Fine, thanks.\n", {reply_path});
  ASSERT_FALSE(to_alice.empty());
  ASSERT_TRUE(alice_->WaitForMessage(to_alice, kDeliveryPatience));
  {
    const std::string out_dir = dir_ + "/alice-read";
    cmtp::testing::CommandResult read =
        alice_->Cmtp({"read", to_alice, "--out-dir", out_dir});
    ASSERT_TRUE(Exited(read, 0));
    EXPECT_TRUE(Contains(read.out, "Signature: verified (bob@beta.test)\n"));
    EXPECT_EQ(PathVerdicts(read.out),
              (std::vector<std::string>{"beta.test: verified", "alpha.test: verified"}));
    EXPECT_EQ(ReadFile(out_dir + "/reply.txt"), "a reply attachment");
  }

  // Each stored once; nothing left in either queue.
  EXPECT_EQ(bob_->CountInInbox(to_bob), 1);
  EXPECT_EQ(alice_->CountInInbox(to_alice), 1);
  for (const DomainSuite* suite : {alpha_.get(), beta_.get()}) {
    cmtp::testing::CommandResult queue = Ctl(*suite, {"queue", "list"});
    ASSERT_TRUE(Exited(queue, 0));
    EXPECT_EQ(queue.out, "") << suite->domain();
  }
}

}  // namespace
}  // namespace cmtp::federation
