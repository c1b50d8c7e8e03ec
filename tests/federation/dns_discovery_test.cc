// Discovery through a real DNS server (dnsmasq on a loopback port): each
// relay finds the other domain by its _cmtp._tcp SRV record, and a domain
// with only an MX record is tried on its MX host at port 9001.
#include <chrono>

#include "absl/strings/str_cat.h"
#include "tests/federation/federation_test.h"
#include "tests/federation/mail_checks.h"
#include "tests/federation/silent_listener.h"
#include "tests/support/dns_server.h"

namespace cmtp::federation {
namespace {

using std::chrono::seconds;

class DnsDiscoveryTest : public FederationTest {
 protected:
  void UseDns(const cmtp::testing::DnsServer& dns) {
    alpha_->relay_setup().dns_server = dns.address();
    beta_->relay_setup().dns_server = dns.address();
  }
};

TEST_F(DnsDiscoveryTest, SrvRecordsLeadEachRelayToTheOtherDomain) {
  cmtp::testing::DnsServer dns(
      {absl::StrCat("--srv-host=_cmtp._tcp.alpha.test,gw.alpha.test,",
                    alpha_->gateway_port(), ",10,5"),
       "--host-record=gw.alpha.test,127.0.0.1",
       absl::StrCat("--srv-host=_cmtp._tcp.beta.test,gw.beta.test,",
                    beta_->gateway_port(), ",10,5"),
       "--host-record=gw.beta.test,127.0.0.1"},
      {"test"});
  ASSERT_TRUE(dns.Start());
  UseDns(dns);
  ASSERT_TRUE(StartBothAndRegister());

  ExpectSameKeyThroughBothServers(*alice_, *bob_, kBob);
  ExpectSameKeyThroughBothServers(*bob_, *alice_, kAlice);
  const std::string to_bob = alice_->Send(kBob, "found you", "through SRV\n", {});
  ASSERT_FALSE(to_bob.empty());
  const std::string to_alice = bob_->Send(kAlice, "found you too", "also SRV\n", {});
  ASSERT_FALSE(to_alice.empty());

  ASSERT_TRUE(bob_->WaitForMessage(to_bob, kDeliveryPatience));
  cmtp::testing::CommandResult bob_reads =
      bob_->Cmtp({"read", to_bob, "--out-dir", dir_});
  ASSERT_TRUE(Exited(bob_reads, 0));
  EXPECT_TRUE(Contains(bob_reads.out, "Signature: verified (alice@alpha.test)\n"));
  EXPECT_TRUE(Contains(bob_reads.out, "through SRV\n"));

  ASSERT_TRUE(alice_->WaitForMessage(to_alice, kDeliveryPatience));
  cmtp::testing::CommandResult alice_reads =
      alice_->Cmtp({"read", to_alice, "--out-dir", dir_});
  ASSERT_TRUE(Exited(alice_reads, 0));
  EXPECT_TRUE(Contains(alice_reads.out, "Signature: verified (bob@beta.test)\n"));
}

TEST_F(DnsDiscoveryTest, MxOnlyDomainIsTriedOnItsMxHost) {
  // gamma.test has nothing but an MX record naming mx.gamma.test, which
  // lives at another loopback address, so the relay must go there on 9001.
  SilentListener mx_host("127.0.0.2", 9001);
  if (mx_host.port() == 0) GTEST_SKIP() << "127.0.0.2:9001 cannot be bound here";
  cmtp::testing::DnsServer dns(
      {"--mx-host=gamma.test,mx.gamma.test,10", "--host-record=mx.gamma.test,127.0.0.2"},
      {"test"});
  ASSERT_TRUE(dns.Start());
  UseDns(dns);
  ASSERT_TRUE(alpha_->Start());
  ASSERT_TRUE(Exited(alice_->Register(alpha_->gateway_address()), 0));

  // The key request makes the relay look gamma.test up and connect; the
  // silent host makes it fail, which `cmtp key` reports.
  cmtp::testing::CommandResult key = alice_->Cmtp({"key", "carol@gamma.test"});
  EXPECT_NE(key.exit_code, 0) << key.out;
  EXPECT_TRUE(
      cmtp::testing::WaitFor([&] { return mx_host.connections() > 0; }, seconds(5)))
      << "nothing connected to the MX host";
}

}  // namespace
}  // namespace cmtp::federation
