#include "tests/federation/domain_suite.h"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "tests/support/ports.h"

namespace cmtp::federation {
namespace {

constexpr size_t kLogTailBytes = 4000;

std::string Loopback(int port) { return absl::StrCat("127.0.0.1:", port); }

}  // namespace

DomainSuite::DomainSuite(std::string domain, std::string dir)
    : domain_(std::move(domain)),
      dir_(std::move(dir)),
      server_key_file_(dir_ + "/server.key"),
      keyserver_port_(cmtp::testing::FreePort()),
      mailstore_port_(cmtp::testing::FreePort()),
      relay_port_(cmtp::testing::FreePort()),
      relay_metrics_port_(cmtp::testing::FreePort()),
      relay2_port_(cmtp::testing::FreePort()),
      relay2_metrics_port_(cmtp::testing::FreePort()),
      gateway_port_(cmtp::testing::FreePort()) {}

DomainSuite::~DomainSuite() {
  // The gateway first, so no session waits on a service already gone.
  gateway_.Kill();
  relay_.Kill();
  relay2_.Kill();
  mailstore_.Kill();
  keyserver_.Kill();
}

std::string DomainSuite::gateway_address() const { return Loopback(gateway_port_); }
std::string DomainSuite::relay_address() const { return Loopback(relay_port_); }
std::string DomainSuite::second_relay_address() const { return Loopback(relay2_port_); }

std::string DomainSuite::Binary(const std::string& path) const {
  return absl::StrCat(CMTP_BINARY_DIR, "/", path);
}
std::string DomainSuite::LogPath(const std::string& service) const {
  return absl::StrCat(dir_, "/", service, ".log");
}
std::string DomainSuite::PortFile(const std::string& service) const {
  return absl::StrCat(dir_, "/", service, ".port");
}

bool DomainSuite::Start() {
  if (!redis_.Start()) {
    std::fprintf(stderr, "%s: redis-server did not start\n", domain_.c_str());
    return false;
  }
  return StartKeyserver() && StartMailstore() && StartRelay() && StartGateway();
}

bool DomainSuite::StartService(const std::string& name, std::vector<std::string> argv,
                               const std::map<std::string, std::string>& env,
                               cmtp::testing::Process& process) {
  const std::string port_file = PortFile(name);
  std::remove(port_file.c_str());
  argv.insert(argv.end(), {"--port-file", port_file});
  if (!process.Start(argv, env, LogPath(name)) ||
      cmtp::testing::WaitForPortFile(port_file) == 0) {
    std::fprintf(stderr, "%s: %s did not start:\n%s\n", domain_.c_str(), name.c_str(),
                 LogTail(name).c_str());
    return false;
  }
  return true;
}

bool DomainSuite::StartKeyserver() {
  return StartService("keyserver",
                      {Binary("services/keyserver/cmtp-keyserver"), "--listen",
                       Loopback(keyserver_port_), "--redis", redis_.address(), "--domain",
                       domain_, "--server-key-file", server_key_file_},
                      {}, keyserver_);
}

bool DomainSuite::StartMailstore() {
  return StartService("mailstore",
                      {Binary("services/mailstore/cmtp-mailstore"), "--listen",
                       Loopback(mailstore_port_), "--redis", redis_.address()},
                      {}, mailstore_);
}

std::vector<std::string> DomainSuite::RelayArgv(int port, int metrics_port) const {
  std::vector<std::string> argv = {Binary("services/relay/cmtp-relay"),
                                   "--listen",
                                   Loopback(port),
                                   "--metrics-listen",
                                   Loopback(metrics_port),
                                   "--redis",
                                   redis_.address(),
                                   "--domain",
                                   domain_,
                                   "--server-key-file",
                                   server_key_file_,
                                   "--keyserver",
                                   Loopback(keyserver_port_),
                                   "--mailstore",
                                   Loopback(mailstore_port_),
                                   "--lease-seconds",
                                   std::to_string(relay_setup_.lease_seconds),
                                   "--poll-interval-ms",
                                   "50",
                                   "--retry-schedule",
                                   relay_setup_.retry_schedule,
                                   "--delivery-timeout-seconds",
                                   std::to_string(relay_setup_.delivery_timeout_seconds)};
  if (relay_setup_.max_queue_lifetime_seconds > 0) {
    argv.insert(argv.end(), {"--max-queue-lifetime-seconds",
                             std::to_string(relay_setup_.max_queue_lifetime_seconds)});
  }
  if (!relay_setup_.dns_server.empty()) {
    argv.insert(argv.end(), {"--dns-server", relay_setup_.dns_server});
  }
  return argv;
}

bool DomainSuite::StartRelay() {
  return StartService("relay", RelayArgv(relay_port_, relay_metrics_port_),
                      {{"CMTP_PEERS", relay_setup_.static_peers}}, relay_);
}

bool DomainSuite::StartSecondRelay() {
  return StartService("relay2", RelayArgv(relay2_port_, relay2_metrics_port_),
                      {{"CMTP_PEERS", relay_setup_.static_peers}}, relay2_);
}

bool DomainSuite::StartGateway() {
  return StartService(
      "gateway",
      {Binary("services/gateway/cmtp-gateway"), "--listen-address", "127.0.0.1", "--port",
       std::to_string(gateway_port_), "--domain", domain_, "--keyserver",
       Loopback(keyserver_port_), "--mailstore", Loopback(mailstore_port_), "--relay",
       Loopback(relay_port_), "--server-key-file", server_key_file_,
       "--shutdown-grace-seconds", "1"},
      {}, gateway_);
}

void DomainSuite::StopGateway() { gateway_.Stop(SIGTERM); }
void DomainSuite::StopKeyserver() { keyserver_.Stop(SIGTERM); }
void DomainSuite::KillRelay() { relay_.Kill(); }
void DomainSuite::KillSecondRelay() { relay2_.Kill(); }
void DomainSuite::PauseGateway() { kill(gateway_.pid(), SIGSTOP); }
void DomainSuite::ResumeGateway() { kill(gateway_.pid(), SIGCONT); }

void DomainSuite::UseNewServerKeyFile() {
  server_key_file_ = absl::StrCat(dir_, "/server-", ++key_generation_, ".key");
}

std::string DomainSuite::LogTail(const std::string& service) const {
  std::ifstream file(LogPath(service));
  std::stringstream text;
  text << file.rdbuf();
  const std::string all = text.str();
  return all.size() > kLogTailBytes ? all.substr(all.size() - kLogTailBytes) : all;
}

}  // namespace cmtp::federation
