// A real redis-server for tests: its own folder and free loopback port, AOF
// with appendfsync always (as in production), restartable on the same data
// to show that acknowledged writes survive a kill -9.
#ifndef CMTP_TESTS_SUPPORT_REDIS_SERVER_H_
#define CMTP_TESTS_SUPPORT_REDIS_SERVER_H_

#include <string>

#include "tests/support/process.h"

namespace cmtp::testing {

class RedisServer {
 public:
  RedisServer();  // picks a folder; call Start()
  ~RedisServer();

  // Starts (or restarts on the same folder and port) and waits for PING.
  bool Start();
  void KillHard();  // SIGKILL, no shutdown save
  void Stop();      // SIGTERM

  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:PORT"
  const std::string& dir() const { return dir_; }

  // Runs redis-cli against this server and returns its stdout (trimmed).
  std::string Cli(const std::vector<std::string>& args) const;

 private:
  std::string dir_;
  int port_ = 0;
  Process process_;
};

}  // namespace cmtp::testing

#endif  // CMTP_TESTS_SUPPORT_REDIS_SERVER_H_
