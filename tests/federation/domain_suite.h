// One CMTP domain's complete suite on loopback, from the real binaries in
// CMTP_BINARY_DIR: its own redis-server, keyserver, mailstore, relay and
// gateway. Every port is chosen once, so a service stopped or killed by a
// test comes back where its peers expect it.
#ifndef CMTP_TESTS_FEDERATION_DOMAIN_SUITE_H_
#define CMTP_TESTS_FEDERATION_DOMAIN_SUITE_H_

#include <map>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/redis_server.h"

namespace cmtp::federation {

// How the relay of a suite is set up: discovery and the test-shortened
// retry schedule and queue lifetime.
struct RelaySetup {
  // CMTP_PEERS: "domain=host:port,...". Empty: none.
  std::string static_peers;
  // "127.0.0.1:PORT" of the DNS server to ask. Empty: none.
  std::string dns_server;
  // Delays between attempts, comma-separated seconds.
  std::string retry_schedule = "1";
  // How long a message may wait in the queue before the sender gets a
  // failure notice. 0: the relay's default (5 days).
  int max_queue_lifetime_seconds = 0;
  // How long the relay waits for a peer before an attempt counts as failed.
  int delivery_timeout_seconds = 2;
  // How long a claimed message stays invisible to other workers: what a
  // relay killed mid-delivery leaves behind waits this long.
  int lease_seconds = 3;
};

class DomainSuite {
 public:
  // Files (logs, server key, port files) go under `dir`.
  DomainSuite(std::string domain, std::string dir);
  ~DomainSuite();
  DomainSuite(const DomainSuite&) = delete;
  DomainSuite& operator=(const DomainSuite&) = delete;

  const std::string& domain() const { return domain_; }
  int gateway_port() const { return gateway_port_; }
  std::string gateway_address() const;  // "127.0.0.1:PORT"
  std::string relay_address() const;    // gRPC
  // A second relay replica on the same Redis queue (StartSecondRelay); the
  // gateway only knows the first.
  std::string second_relay_address() const;
  // Each relay serves Prometheus metrics on a port of its own.
  int relay_metrics_port() const { return relay_metrics_port_; }
  int second_relay_metrics_port() const { return relay2_metrics_port_; }
  // The folder `cmtpctl --state-dir` reads (relay.port etc.).
  const std::string& state_dir() const { return dir_; }
  const std::string& server_key_file() const { return server_key_file_; }
  RelaySetup& relay_setup() { return relay_setup_; }

  // Everything, in dependency order; false (with the reason on stderr) when
  // a service does not come up.
  bool Start();

  bool StartKeyserver();
  bool StartMailstore();
  bool StartRelay();
  // Another cmtp-relay on the same queue, logging to relay2.log.
  bool StartSecondRelay();
  bool StartGateway();
  // SIGTERM and wait.
  void StopGateway();
  void StopKeyserver();
  // SIGKILL: no chance to finish anything.
  void KillRelay();
  void KillSecondRelay();
  // SIGSTOP: the kernel still accepts connections, nobody answers them (a
  // destination that hangs). ResumeGateway: SIGCONT.
  void PauseGateway();
  void ResumeGateway();
  // From now on the keyserver and gateway use a fresh server key (a new
  // file): restart both to present it.
  void UseNewServerKeyFile();

  // The tail of a service's log ("gateway", "relay", ...), for failure
  // messages.
  std::string LogTail(const std::string& service) const;

 private:
  bool StartService(const std::string& name, std::vector<std::string> argv,
                    const std::map<std::string, std::string>& env,
                    cmtp::testing::Process& process);
  std::string Binary(const std::string& path) const;
  std::string LogPath(const std::string& service) const;
  std::string PortFile(const std::string& service) const;
  std::vector<std::string> RelayArgv(int port, int metrics_port) const;

  std::string domain_;
  std::string dir_;
  std::string server_key_file_;
  int keyserver_port_;
  int mailstore_port_;
  int relay_port_;
  int relay_metrics_port_;
  int relay2_port_;
  int relay2_metrics_port_;
  int gateway_port_;
  int key_generation_ = 0;
  RelaySetup relay_setup_;
  cmtp::testing::RedisServer redis_;
  cmtp::testing::Process keyserver_;
  cmtp::testing::Process mailstore_;
  cmtp::testing::Process relay_;
  cmtp::testing::Process relay2_;
  cmtp::testing::Process gateway_;
};

}  // namespace cmtp::federation

#endif  // CMTP_TESTS_FEDERATION_DOMAIN_SUITE_H_
