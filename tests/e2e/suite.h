// A whole CMTP suite for one domain on loopback, for integration tests: a
// real redis-server and the real keyserver, mailstore and gateway binaries,
// each a child process that a test can kill -9 and restart on the same data.
#ifndef CMTP_TESTS_E2E_SUITE_H_
#define CMTP_TESTS_E2E_SUITE_H_

#include <map>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/redis_server.h"

namespace cmtp::testing {

class Suite {
 public:
  explicit Suite(std::string domain, std::vector<std::string> gateway_flags = {});
  ~Suite();

  // Starts Redis, then the keyserver, mailstore and gateway, each waiting for
  // the one before. False (with the logs' folder in the message) on failure.
  bool Start();

  bool RestartKeyserver();
  bool RestartMailstore();
  bool RestartGateway();
  void KillMailstore();  // SIGKILL
  RedisServer& redis() { return redis_; }

  int gateway_port() const { return gateway_port_; }
  std::string gateway_address() const;  // "127.0.0.1:PORT"
  std::string keyserver_address() const;
  std::string mailstore_address() const;
  const std::string& domain() const { return domain_; }
  const std::string& dir() const { return dir_; }
  std::string server_key_path() const { return dir_ + "/server.key"; }
  // The server's public key (the last 32 bytes of the key file).
  std::string server_public_key() const;

  // Runs `cmtp` with CMTP_KDF_COST=interactive and the given state folder.
  CommandResult Cmtp(const std::string& state_dir, std::vector<std::string> args,
                     const std::string& stdin_data = "") const;
  // Runs `cmtpctl` against this suite's keyserver and mailstore.
  CommandResult Cmtpctl(std::vector<std::string> args) const;

  // A password file in the suite's folder.
  std::string PasswordFile(const std::string& name, const std::string& password) const;

 private:
  bool StartKeyserver();
  bool StartMailstore();
  bool StartGateway();

  std::string domain_;
  std::vector<std::string> gateway_flags_;
  std::string dir_;
  RedisServer redis_;
  Process keyserver_, mailstore_, gateway_;
  int keyserver_port_ = 0, mailstore_port_ = 0, gateway_port_ = 0;
};

// Path of a binary in the build tree, e.g. Binary("services/gateway/cmtp-gateway").
std::string Binary(const std::string& relative);

}  // namespace cmtp::testing

#endif  // CMTP_TESTS_E2E_SUITE_H_
