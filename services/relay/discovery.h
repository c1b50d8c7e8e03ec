// Finds the CMTP server of a foreign domain: a static override map first,
// then `_cmtp._tcp.<domain>` SRV (priority and weight honoured), then the MX
// hosts on the default port, then the domain's own addresses on it. All DNS
// goes through c-ares, asynchronously, on one resolver thread; answers are
// cached by their TTL and failures briefly.
#ifndef CMTP_SERVICES_RELAY_DISCOVERY_H_
#define CMTP_SERVICES_RELAY_DISCOVERY_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace cmtp::relay {

// One address to try, in order of preference.
struct PeerAddress {
  std::string host;  // the name it came from (SRV target, MX host, domain)
  std::string ip;    // textual IPv4 or IPv6 address
  int port = 0;
};

// How a domain was found, for logs and `cmtpctl`.
enum class DiscoverySource { kStatic, kSrv, kMx, kAddress };

struct Discovered {
  DiscoverySource source = DiscoverySource::kAddress;
  std::vector<PeerAddress> addresses;
};

// Parses `domain=host:port,domain2=host:port` (CMTP_PEERS). Domains are
// lower-cased; an empty string is an empty map.
absl::StatusOr<std::map<std::string, std::string>> ParseStaticPeers(
    std::string_view spec);

class Discovery {
 public:
  virtual ~Discovery() = default;
  // Thread-safe. NotFound: DNS says the domain has no CMTP server (no SRV, no
  // MX, no address). Unavailable: the lookup failed (timeout, SERVFAIL,
  // refused): a temporary failure, retry later.
  virtual absl::StatusOr<Discovered> Resolve(std::string_view domain) = 0;
};

struct DiscoveryOptions {
  // "host:port" of the DNS server to ask (e.g. a test's dnsmasq); empty: the
  // system's resolv.conf.
  std::string dns_server;
  std::map<std::string, std::string> static_peers;  // domain -> host:port
  int default_port = 9001;
  std::chrono::milliseconds query_timeout{2000};
  int query_tries = 2;
  int max_cache_seconds = 3600;
  int negative_cache_seconds = 30;
  std::function<int64_t()> now_ms;  // injected clock; steady milliseconds
};

// The c-ares implementation.
absl::StatusOr<std::unique_ptr<Discovery>> MakeCaresDiscovery(DiscoveryOptions options);

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_DISCOVERY_H_
