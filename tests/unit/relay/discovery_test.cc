#include "services/relay/discovery.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/support/dns_server.h"
#include "tests/support/ports.h"

namespace cmtp::relay {
namespace {

using ::cmtp::testing::DnsServer;

std::vector<std::string> Records() {
  return {
      // alpha.test: SRV with two priorities; the lower one has two weighted hosts.
      "--srv-host=_cmtp._tcp.alpha.test,gw1.alpha.test,9101,10,60",
      "--srv-host=_cmtp._tcp.alpha.test,gw2.alpha.test,9102,10,40",
      "--srv-host=_cmtp._tcp.alpha.test,backup.alpha.test,9103,20,0",
      "--host-record=gw1.alpha.test,127.0.0.1",
      "--host-record=gw2.alpha.test,127.0.0.2",
      "--host-record=backup.alpha.test,127.0.0.3",
      // beta.test: no SRV, MX only; its host has IPv4 and IPv6.
      "--mx-host=beta.test,mx2.beta.test,20",
      "--mx-host=beta.test,mx1.beta.test,10",
      "--host-record=mx1.beta.test,127.0.0.4,::1",
      "--host-record=mx2.beta.test,127.0.0.5",
      // gamma.test: neither SRV nor MX, only its own address.
      "--host-record=gamma.test,127.0.0.6",
  };
}

class DiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dns_ = std::make_unique<DnsServer>(Records(), std::vector<std::string>{"test"});
    ASSERT_TRUE(dns_->Start());
  }

  std::unique_ptr<Discovery> Make(std::map<std::string, std::string> peers = {}) {
    DiscoveryOptions options;
    options.dns_server = dns_->address();
    options.static_peers = std::move(peers);
    options.now_ms = [this] { return now_ms_; };
    auto discovery = MakeCaresDiscovery(options);
    EXPECT_TRUE(discovery.ok()) << discovery.status();
    return std::move(*discovery);
  }

  std::unique_ptr<DnsServer> dns_;
  int64_t now_ms_ = 1'000'000;
};

TEST_F(DiscoveryTest, SrvRecordsOrderedByPriority) {
  auto discovery = Make();
  auto result = discovery->Resolve("ALPHA.test");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->source, DiscoverySource::kSrv);
  ASSERT_EQ(result->addresses.size(), 3u);
  std::set<std::string> first_two = {result->addresses[0].host,
                                     result->addresses[1].host};
  EXPECT_EQ(first_two, (std::set<std::string>{"gw1.alpha.test", "gw2.alpha.test"}));
  EXPECT_EQ(result->addresses[2].host, "backup.alpha.test");
  EXPECT_EQ(result->addresses[2].ip, "127.0.0.3");
  EXPECT_EQ(result->addresses[2].port, 9103);
}

TEST_F(DiscoveryTest, SrvWeightsShapeTheOrder) {
  // Weight 60 against 40: over many fresh lookups gw1 comes first more often.
  int gw1_first = 0;
  for (int i = 0; i < 60; ++i) {
    auto discovery = Make();
    auto result = discovery->Resolve("alpha.test");
    ASSERT_TRUE(result.ok()) << result.status();
    if (result->addresses[0].host == "gw1.alpha.test") ++gw1_first;
  }
  EXPECT_GT(gw1_first, 20);
  EXPECT_LT(gw1_first, 58);
}

TEST_F(DiscoveryTest, MxHostsOnDefaultPortWithBothFamilies) {
  auto discovery = Make();
  auto result = discovery->Resolve("beta.test");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->source, DiscoverySource::kMx);
  ASSERT_EQ(result->addresses.size(), 3u);
  std::set<std::string> mx1_ips;
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(result->addresses[i].host, "mx1.beta.test");
    EXPECT_EQ(result->addresses[i].port, 9001);
    mx1_ips.insert(result->addresses[i].ip);
  }
  EXPECT_EQ(mx1_ips, (std::set<std::string>{"127.0.0.4", "::1"}));
  EXPECT_EQ(result->addresses[2].host, "mx2.beta.test");
}

TEST_F(DiscoveryTest, FallsBackToTheDomainsAddress) {
  auto discovery = Make();
  auto result = discovery->Resolve("gamma.test");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->source, DiscoverySource::kAddress);
  ASSERT_EQ(result->addresses.size(), 1u);
  EXPECT_EQ(result->addresses[0].ip, "127.0.0.6");
  EXPECT_EQ(result->addresses[0].port, 9001);
}

TEST_F(DiscoveryTest, UnknownDomainIsNotFound) {
  auto discovery = Make();
  auto result = discovery->Resolve("nothing.test");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound) << result.status();
}

TEST_F(DiscoveryTest, StaticMapWinsOverDns) {
  auto discovery =
      Make({{"alpha.test", "127.0.0.9:7777"}, {"beta.test", "gw1.alpha.test:7778"}});
  auto literal = discovery->Resolve("alpha.test");
  ASSERT_TRUE(literal.ok()) << literal.status();
  EXPECT_EQ(literal->source, DiscoverySource::kStatic);
  ASSERT_EQ(literal->addresses.size(), 1u);
  EXPECT_EQ(literal->addresses[0].ip, "127.0.0.9");
  EXPECT_EQ(literal->addresses[0].port, 7777);
  auto named = discovery->Resolve("beta.test");
  ASSERT_TRUE(named.ok()) << named.status();
  ASSERT_EQ(named->addresses.size(), 1u);
  EXPECT_EQ(named->addresses[0].ip, "127.0.0.1");
  EXPECT_EQ(named->addresses[0].port, 7778);
}

TEST_F(DiscoveryTest, AnswersAreCachedUntilTheirTtl) {
  auto discovery = Make();
  ASSERT_TRUE(discovery->Resolve("gamma.test").ok());
  dns_.reset();  // the DNS server is gone: only the cache can answer
  auto cached = discovery->Resolve("gamma.test");
  ASSERT_TRUE(cached.ok()) << cached.status();
  EXPECT_EQ(cached->addresses[0].ip, "127.0.0.6");
  now_ms_ += 61'000;  // past dnsmasq's --local-ttl=60
  auto expired = discovery->Resolve("gamma.test");
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kUnavailable) << expired.status();
}

TEST(DiscoveryFailureTest, SilentDnsServerIsATemporaryFailure) {
  DiscoveryOptions options;
  options.dns_server = "127.0.0.1:" + std::to_string(::cmtp::testing::FreePort());
  options.query_timeout = std::chrono::milliseconds(200);
  options.query_tries = 1;
  auto discovery = MakeCaresDiscovery(options);
  ASSERT_TRUE(discovery.ok()) << discovery.status();
  auto result = (*discovery)->Resolve("alpha.test");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
}

TEST(StaticPeersTest, Parses) {
  auto peers = ParseStaticPeers("Alpha.test=127.0.0.1:9001, beta.test=[::1]:9002");
  ASSERT_TRUE(peers.ok()) << peers.status();
  EXPECT_EQ(peers->at("alpha.test"), "127.0.0.1:9001");
  EXPECT_EQ(peers->at("beta.test"), "[::1]:9002");
  EXPECT_TRUE(ParseStaticPeers("")->empty());
  EXPECT_FALSE(ParseStaticPeers("alpha.test").ok());
  EXPECT_FALSE(ParseStaticPeers("alpha.test=host").ok());
  EXPECT_FALSE(ParseStaticPeers("alpha.test=host:99999").ok());
}

}  // namespace
}  // namespace cmtp::relay
