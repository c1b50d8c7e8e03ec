// A real DNS server for tests: dnsmasq from Debian on a loopback port,
// authoritative for the zones the test names, answering from the records
// given on its command line.
#ifndef CMTP_TESTS_SUPPORT_DNS_SERVER_H_
#define CMTP_TESTS_SUPPORT_DNS_SERVER_H_

#include <string>
#include <vector>

#include "tests/support/process.h"

namespace cmtp::testing {

class DnsServer {
 public:
  // `records` are dnsmasq options such as
  // "--srv-host=_cmtp._tcp.alpha.test,gw.alpha.test,9001,10,5" or
  // "--host-record=gw.alpha.test,127.0.0.1"; `zones` are answered
  // authoritatively (unknown names get NXDOMAIN), e.g. "test".
  DnsServer(std::vector<std::string> records, std::vector<std::string> zones);
  ~DnsServer();

  bool Start();
  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:PORT"

 private:
  std::vector<std::string> records_;
  std::vector<std::string> zones_;
  std::string dir_;
  int port_ = 0;
  Process process_;
};

}  // namespace cmtp::testing

#endif  // CMTP_TESTS_SUPPORT_DNS_SERVER_H_
