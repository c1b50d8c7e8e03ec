// A whole CMTP suite for one domain, as real processes: redis-server, then
// cmtp-keyserver, cmtp-mailstore and cmtp-gateway (each with --port-file),
// all in a temporary state folder. Single processes can be killed with
// SIGKILL and restarted on the same ports and data. The CLIs (cmtp, cmtpctl)
// run as child processes with CMTP_KDF_COST=interactive.
#ifndef CMTP_TESTS_INTEGRATION_SUITE_H_
#define CMTP_TESTS_INTEGRATION_SUITE_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/redis_server.h"

namespace cmtp::integration {

using ::cmtp::testing::CommandResult;

enum class Service { kKeyserver, kMailstore, kGateway };

struct SuiteOptions {
  std::string domain = "localhost";
  // Extra flags per service, appended after the ones the suite passes.
  std::vector<std::string> keyserver_flags;
  std::vector<std::string> mailstore_flags;
  std::vector<std::string> gateway_flags;
};

// Default options for a suite serving `domain`.
SuiteOptions ForDomain(const std::string& domain);

class Suite {
 public:
  explicit Suite(SuiteOptions options = {});
  ~Suite();  // stops every process; keeps the state folder when a test failed
  Suite(const Suite&) = delete;
  Suite& operator=(const Suite&) = delete;

  // Starts Redis and the three services and waits for their ports. On
  // failure, error() says what went wrong (with the tail of the log).
  bool Start();
  const std::string& error() const { return error_; }

  // SIGKILL one service and start it again on the same port.
  bool Restart(Service service);
  // SIGKILL redis-server and start it again on the same folder and port.
  bool RestartRedis();
  bool Running(Service service);

  const std::string& domain() const { return options_.domain; }
  const std::string& state_dir() const { return state_dir_; }
  std::string server_key_file() const { return state_dir_ + "/server.key"; }
  // The server's Ed25519 public key (last 32 bytes of server.key).
  std::string ServerPublicKey() const;
  int gateway_port() const { return ports_.at(Service::kGateway); }
  std::string gateway_address() const;  // "127.0.0.1:PORT"
  std::string keyserver_address() const;
  std::string mailstore_address() const;
  testing::RedisServer& redis() { return *redis_; }

  // The last lines of every log, for failure messages.
  std::string Logs() const;

  // A fresh folder under the suite's state folder.
  std::string NewDir(const std::string& name);
  // Writes `content` to a new file under the state folder; returns its path.
  std::string WriteFile(const std::string& name, const std::string& content);

  // Runs tools/cmtp/cmtp with `args` (CMTP_KDF_COST=interactive).
  CommandResult Cmtp(const std::vector<std::string>& args,
                     const std::string& stdin_data = "") const;
  // Runs tools/cmtpctl/cmtpctl with --keyserver/--mailstore of this suite.
  CommandResult Cmtpctl(const std::vector<std::string>& args) const;

 private:
  std::string ServiceName(Service service) const;
  std::vector<std::string> ServiceArgv(Service service, int port) const;
  bool StartService(Service service, int port);

  SuiteOptions options_;
  std::string state_dir_;
  std::unique_ptr<testing::RedisServer> redis_;
  std::map<Service, testing::Process> processes_;
  std::map<Service, int> ports_;
  std::string error_;
  int dir_counter_ = 0;
};

// A user of the `cmtp` CLI: an account, a password file and a state folder
// (one per device).
struct User {
  std::string account;  // user@domain
  std::string password_file;
  std::string state_dir;
};

// Makes a user with a fresh state folder and a password file.
User MakeUser(Suite& suite, const std::string& name, const std::string& password);
// The same account on another device: a fresh state folder, same password.
User OtherDevice(Suite& suite, const User& user);

// `cmtp COMMAND --server ... --account ... --password-file ... --state-dir ...
// ARGS...` with `stdin_data` on its standard input.
CommandResult RunCli(const Suite& suite, const User& user, const std::string& command,
                     const std::vector<std::string>& args = {},
                     const std::string& stdin_data = "");

// Builds a reference server's data folder from shared/vectors/reference
// (mail/alice/public.key + mail/alice/alice.xzibit, mail/bob/public.key) and
// runs `cmtpctl import-reference DIR --domain <suite domain>`.
CommandResult ImportReference(Suite& suite);

// Human-readable summary of a command result for assertion messages.
std::string Describe(const CommandResult& result);

// Path of a built binary, e.g. BinaryPath("services/gateway/cmtp-gateway").
std::string BinaryPath(const std::string& relative);

}  // namespace cmtp::integration

#endif  // CMTP_TESTS_INTEGRATION_SUITE_H_
