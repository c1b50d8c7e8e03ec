#include "tests/support/redis_server.h"

#include <csignal>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tests/support/ports.h"

namespace cmtp::testing {

RedisServer::RedisServer() : dir_(MakeTempDir("cmtp-redis-")), port_(FreePort()) {}

RedisServer::~RedisServer() { process_.Kill(); }

bool RedisServer::Start() {
  // A port that was free when it was picked may be taken before redis-server
  // binds it (redis-server then exits): another port, a few times.
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::vector<std::string> argv = {"/usr/bin/redis-server",
                                     "--port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--dir",
                                     dir_,
                                     "--appendonly",
                                     "yes",
                                     "--appendfsync",
                                     "always",
                                     "--save",
                                     "",
                                     "--daemonize",
                                     "no",
                                     "--protected-mode",
                                     "yes",
                                     "--logfile",
                                     absl::StrCat(dir_, "/redis.log")};
    if (!process_.Start(argv, {}, absl::StrCat(dir_, "/redis.stdout"))) return false;
    bool answered = false;
    WaitFor([&] {
      answered = Cli({"PING"}) == "PONG";
      return answered || !process_.Running();
    });
    if (answered) return true;
    process_.Kill();
    port_ = FreePort();
  }
  return false;
}

void RedisServer::KillHard() { process_.Kill(); }

void RedisServer::Stop() { process_.Stop(SIGTERM); }

std::string RedisServer::address() const { return absl::StrCat("127.0.0.1:", port_); }

std::string RedisServer::Cli(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"/usr/bin/redis-cli", "-p", std::to_string(port_)};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = RunCommand(argv, "", {}, std::chrono::seconds(5));
  return std::string(absl::StripTrailingAsciiWhitespace(r.out));
}

}  // namespace cmtp::testing
