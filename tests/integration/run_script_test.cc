// scripts/run.sh, what `make run` runs: a whole suite in the foreground that
// stops cleanly on SIGINT or SIGTERM, keeps its data in CMTP_STATE_DIR, and
// runs side by side with another one.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/integration/suite.h"
#include "tests/integration/wire_client.h"
#include "tests/support/ports.h"

namespace cmtp::integration {
namespace {

using ::cmtp::testing::CanConnect;
using ::cmtp::testing::FreePort;
using ::cmtp::testing::MakeTempDir;
using ::cmtp::testing::Process;
using ::cmtp::testing::ReadFileOrDie;
using ::cmtp::testing::RunCommand;
using ::cmtp::testing::WaitFor;
using ::cmtp::testing::WaitForPortFile;

struct RunningSuite {
  RunningSuite(std::string state_dir, std::string suite_domain)
      : state(std::move(state_dir)), domain(std::move(suite_domain)), port(FreePort()) {}

  std::string state;
  std::string domain;
  int port = 0;
  Process process;
  std::string log;

  bool Start() {
    log = state + ".out";  // next to the state folder, which run.sh makes
    bool started = process.Start({std::string(CMTP_SOURCE_DIR) + "/scripts/run.sh"},
                                 {{"CMTP_BUILD_DIR", CMTP_BINARY_DIR},
                                  {"CMTP_STATE_DIR", state},
                                  {"CMTP_PORT", std::to_string(port)},
                                  {"CMTP_DOMAIN", domain}},
                                 log);
    return started &&
           WaitForPortFile(state + "/gateway.port", std::chrono::seconds(60)) == port;
  }
  std::string Output() const {
    std::ifstream in(log);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  int RedisPort() const { return std::stoi(ReadFileOrDie(state + "/redis.port")); }
};

CommandResult Cli(const RunningSuite& suite, const std::string& account,
                  const std::string& password_file, const std::string& state_dir,
                  const std::vector<std::string>& command) {
  std::vector<std::string> argv = {BinaryPath("tools/cmtp/cmtp")};
  argv.insert(argv.end(), command.begin(), command.end());
  argv.insert(argv.end(),
              {"--server", absl::StrCat("127.0.0.1:", suite.port), "--account", account,
               "--password-file", password_file, "--state-dir", state_dir});
  return RunCommand(argv, "", {{"CMTP_KDF_COST", "interactive"}},
                    std::chrono::seconds(60));
}

TEST(IntegrationRunScriptTest, TwoSuitesSideBySideStopCleanlyAndKeepTheirData) {
  const std::string root = MakeTempDir("cmtp-run-");
  RunningSuite a(root + "/a", "localhost");
  RunningSuite b(root + "/b", "example.org");
  ASSERT_TRUE(a.Start()) << a.Output();
  ASSERT_TRUE(b.Start()) << b.Output();
  EXPECT_TRUE(absl::StrContains(a.Output(), absl::StrCat("127.0.0.1:", a.port)))
      << a.Output();
  EXPECT_TRUE(NoopAnswered(a.port));
  EXPECT_TRUE(NoopAnswered(b.port));
  EXPECT_NE(a.RedisPort(), b.RedisPort());
  EXPECT_NE(ReadFileOrDie(a.state + "/server.key"),
            ReadFileOrDie(b.state + "/server.key"));

  const std::string password = root + "/password";
  std::ofstream(password) << "run script password";
  CommandResult registered =
      Cli(a, "dana@localhost", password, root + "/dana", {"register"});
  ASSERT_EQ(registered.exit_code, 0) << Describe(registered) << a.Output();
  // The operator's CLI finds the services through the state folder.
  CommandResult accounts = RunCommand(
      {BinaryPath("tools/cmtpctl/cmtpctl"), "--state-dir", a.state, "accounts", "list"});
  EXPECT_EQ(accounts.exit_code, 0) << Describe(accounts);
  EXPECT_TRUE(absl::StrContains(accounts.out, "dana")) << Describe(accounts);

  // Ctrl-C on one, SIGTERM on the other: both exit 0 and leave nothing running.
  const int a_redis = a.RedisPort();
  const int b_redis = b.RedisPort();
  int status = a.process.Stop(SIGINT, std::chrono::seconds(30));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << a.Output();
  EXPECT_TRUE(NoopAnswered(b.port)) << "stopping one suite disturbed the other";
  status = b.process.Stop(SIGTERM, std::chrono::seconds(30));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << b.Output();
  for (int port : {a.port, b.port, a_redis, b_redis}) {
    EXPECT_FALSE(CanConnect(port)) << "port " << port << " still open after the stop";
  }
  EXPECT_FALSE(std::filesystem::exists(a.state + "/gateway.port"));
  EXPECT_TRUE(absl::StrContains(ReadFileOrDie(a.state + "/logs/redis.log"), "shutdown"))
      << "Redis was not shut down by the script";

  // Started again on the same folder: the account is still there.
  ASSERT_TRUE(a.Start()) << a.Output();
  CommandResult inbox =
      Cli(a, "dana@localhost", password, root + "/dana-again", {"inbox"});
  EXPECT_EQ(inbox.exit_code, 0) << Describe(inbox) << a.Output();
  status = a.process.Stop(SIGTERM, std::chrono::seconds(30));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << a.Output();

  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace cmtp::integration
