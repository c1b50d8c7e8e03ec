// Never an open relay: a MAIL for another domain from a session that has not
// authenticated as the sender is refused with the reason, over a raw socket,
// and nothing is queued.
#include "lib/crypto/protocol_signatures.h"
#include "lib/crypto/sodium.h"
#include "tests/federation/federation_test.h"
#include "tests/federation/raw_cmtp.h"

namespace cmtp::federation {
namespace {

class RelayingDeniedTest : public FederationTest {};

TEST_F(RelayingDeniedTest, UnauthenticatedMailToAForeignDomainIsRefused) {
  UseStaticPeers();
  ASSERT_TRUE(StartBothAndRegister());
  cmtp::testing::CommandResult server_key = alice_->Cmtp({"key", "*@alpha.test"});
  ASSERT_TRUE(Exited(server_key, 0));
  absl::StatusOr<std::string> alpha_key = crypto::FromHex(server_key.out.substr(0, 64));
  ASSERT_TRUE(alpha_key.ok());

  // Claiming to be alice (a local account) is not enough, and neither is
  // claiming to be someone from beta.
  for (const auto& [src_account, src_domain] :
       {std::pair{"alice", "alpha.test"}, std::pair{"bob", "beta.test"}}) {
    RawCmtpConnection connection(alpha_->gateway_port());
    ASSERT_TRUE(connection.connected());
    const std::string request =
        RawMailRequest("bob", "beta.test", src_account, src_domain, "not sealed at all");
    connection.Send(request);
    RawStatus status = connection.ReadStatus();
    EXPECT_EQ(status.word, "FAILURE");
    EXPECT_EQ(status.detail, "relaying denied: authenticate as the sender first");
    // A signed refusal of exactly this request.
    wire::Status signed_status{false, status.signature, status.detail};
    EXPECT_TRUE(crypto::VerifyStatus(*alpha_key, signed_status, request.substr(5)));
  }
  cmtp::testing::CommandResult queue = Ctl(*alpha_, {"queue", "list"});
  ASSERT_TRUE(Exited(queue, 0));
  EXPECT_EQ(queue.out, "");

  // Mail for a local account is still taken from anyone.
  RawCmtpConnection stranger(alpha_->gateway_port());
  stranger.Send(RawMailRequest("alice", "alpha.test", "someone", "elsewhere.test",
                               "raw text from a stranger"));
  EXPECT_EQ(stranger.ReadStatus().word, "SUCCESS");
}

}  // namespace
}  // namespace cmtp::federation
