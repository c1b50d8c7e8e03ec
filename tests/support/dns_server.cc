#include "tests/support/dns_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "tests/support/ports.h"

namespace cmtp::testing {
namespace {

// dnsmasq answers on UDP; a port is ready once a UDP bind to it fails.
bool UdpPortTaken(int port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool taken = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0;
  close(fd);
  return taken;
}

}  // namespace

DnsServer::DnsServer(std::vector<std::string> records, std::vector<std::string> zones)
    : records_(std::move(records)),
      zones_(std::move(zones)),
      dir_(MakeTempDir("cmtp-dns-")),
      port_(FreePort()) {}

DnsServer::~DnsServer() { process_.Kill(); }

bool DnsServer::Start() {
  std::vector<std::string> argv = {"/usr/sbin/dnsmasq",
                                   "--keep-in-foreground",
                                   "--conf-file=/dev/null",
                                   "--no-resolv",
                                   "--no-hosts",
                                   "--no-poll",
                                   "--bind-interfaces",
                                   "--listen-address=127.0.0.1",
                                   absl::StrCat("--port=", port_),
                                   "--pid-file=",
                                   "--local-ttl=60",
                                   "--log-facility=-",
                                   "--user=root"};
  for (const auto& zone : zones_) argv.push_back(absl::StrCat("--local=/", zone, "/"));
  for (const auto& record : records_) argv.push_back(record);
  if (!process_.Start(argv, {}, absl::StrCat(dir_, "/dnsmasq.log"))) return false;
  return WaitFor([&] { return UdpPortTaken(port_) || !process_.Running(); }) &&
         process_.Running();
}

std::string DnsServer::address() const { return absl::StrCat("127.0.0.1:", port_); }

}  // namespace cmtp::testing
