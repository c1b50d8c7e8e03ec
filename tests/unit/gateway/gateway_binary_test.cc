// The real cmtp-gateway binary in front of a real keyserver, mailstore and
// redis-server: its /metrics, its JSON log lines with the request id the
// mailstore logs too, and its gRPC health service (readiness follows the
// backends, goes NOT_SERVING while draining; liveness stays SERVING).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "lib/rpc/server.h"
#include "services/gateway/grpc_health_check.h"
#include "tests/support/metrics_scrape.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"
#include "tests/unit/gateway/test_client.h"
#include "tests/unit/gateway/test_requests.h"

namespace cmtp::gateway {
namespace {

using ::cmtp::testing::Process;
using ::cmtp::testing::Sample;
using ::cmtp::testing::ScrapeMetrics;
using ::cmtp::testing::WaitFor;

const std::string kBuild = CMTP_BINARY_DIR;
constexpr char kDomain[] = "example.org";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The string value of "key" in a JSON log line ("" when absent).
std::string JsonField(const std::string& line, const std::string& key) {
  const std::string marker = "\"" + key + "\":\"";
  size_t at = line.find(marker);
  if (at == std::string::npos) return "";
  at += marker.size();
  return line.substr(at, line.find('"', at) - at);
}

class GatewayBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start());
    dir_ = cmtp::testing::MakeTempDir("cmtp-gateway-bin-");
    keyserver_port_ = StartService(
        keyserver_, "keyserver",
        {"--listen", "127.0.0.1:0", "--redis", redis_.address(), "--domain", kDomain,
         "--server-key-file", dir_ + "/server.key", "--registration", "open"});
    ASSERT_GT(keyserver_port_, 0) << ReadFile(Log("keyserver"));
    ASSERT_TRUE(StartMailstore("127.0.0.1:0"));
  }

  void TearDown() override {
    for (Process* process : {&gateway_, &mailstore_, &keyserver_}) {
      process->Stop(SIGTERM, std::chrono::seconds(5));
    }
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  std::string Log(const std::string& name) const { return dir_ + "/" + name + ".log"; }
  std::string PortFile(const std::string& name) const {
    return dir_ + "/" + name + ".port";
  }

  int StartService(Process& process, const std::string& name,
                   std::vector<std::string> flags) {
    std::filesystem::remove(PortFile(name));
    std::vector<std::string> argv = {kBuild + "/services/" + name + "/cmtp-" + name,
                                     "--port-file", PortFile(name)};
    argv.insert(argv.end(), flags.begin(), flags.end());
    if (!process.Start(argv, {}, Log(name))) return 0;
    return cmtp::testing::WaitForPortFile(PortFile(name));
  }

  bool StartMailstore(const std::string& listen) {
    mailstore_port_ = StartService(mailstore_, "mailstore",
                                   {"--listen", listen, "--redis", redis_.address()});
    return mailstore_port_ > 0;
  }

  // The gateway with /metrics and the health service on free ports.
  void StartGateway(std::vector<std::string> extra = {}) {
    std::vector<std::string> flags = {"--listen-address",
                                      "127.0.0.1",
                                      "--port",
                                      "0",
                                      "--domain",
                                      kDomain,
                                      "--keyserver",
                                      "127.0.0.1:" + std::to_string(keyserver_port_),
                                      "--mailstore",
                                      "127.0.0.1:" + std::to_string(mailstore_port_),
                                      "--server-key-file",
                                      dir_ + "/server.key",
                                      "--metrics-listen",
                                      "127.0.0.1:0",
                                      "--metrics-port-file",
                                      PortFile("metrics"),
                                      "--admin-listen",
                                      "127.0.0.1:0",
                                      "--admin-port-file",
                                      PortFile("admin")};
    flags.insert(flags.end(), extra.begin(), extra.end());
    gateway_port_ = StartService(gateway_, "gateway", flags);
    ASSERT_GT(gateway_port_, 0) << ReadFile(Log("gateway"));
    metrics_port_ = cmtp::testing::WaitForPortFile(PortFile("metrics"));
    admin_port_ = cmtp::testing::WaitForPortFile(PortFile("admin"));
    ASSERT_GT(metrics_port_, 0);
    ASSERT_GT(admin_port_, 0);
    admin_channel_ = rpc::MakeChannel("127.0.0.1:" + std::to_string(admin_port_));
  }

  bool Serving(const std::string& service) {
    return CheckServing(admin_channel_, service, std::chrono::seconds(1)).ok();
  }

  // `cmtp` (the CLI) as `user`, with the cheap KDF the tests use.
  cmtp::testing::CommandResult Cli(const std::string& user, const std::string& command,
                                   std::vector<std::string> args = {},
                                   const std::string& stdin_data = "") {
    std::string password_file = dir_ + "/" + user + ".password";
    std::ofstream(password_file) << user << " has a long passphrase";
    std::filesystem::create_directories(dir_ + "/" + user);
    std::vector<std::string> argv = {kBuild + "/tools/cmtp/cmtp",
                                     command,
                                     "--server",
                                     "127.0.0.1:" + std::to_string(gateway_port_),
                                     "--account",
                                     user + "@" + kDomain,
                                     "--password-file",
                                     password_file,
                                     "--state-dir",
                                     dir_ + "/" + user};
    argv.insert(argv.end(), args.begin(), args.end());
    return cmtp::testing::RunCommand(argv, stdin_data, {{"CMTP_KDF_COST", "interactive"}},
                                     std::chrono::seconds(60));
  }

  // `cmtpctl` against this test's keyserver and mailstore.
  cmtp::testing::CommandResult Cmtpctl(std::vector<std::string> args) {
    std::vector<std::string> argv = {kBuild + "/tools/cmtpctl/cmtpctl", "--keyserver",
                                     "127.0.0.1:" + std::to_string(keyserver_port_),
                                     "--mailstore",
                                     "127.0.0.1:" + std::to_string(mailstore_port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    return cmtp::testing::RunCommand(argv, "", {}, std::chrono::seconds(60));
  }

  // One KEYREQUEST on a fresh connection: true for a key block, false for
  // KEYNOTAVAILABLE (anything else fails the test).
  bool KeyAvailable(const std::string& account) {
    testing::TestClient client(gateway_port_);
    client.ReadBanner();
    client.Send(testing::KeyRequest(account, kDomain));
    // Both replies start with the crypto type: 0 only for KEYNOTAVAILABLE.
    const uint32_t type = client.ReadU32();
    if (type == 0) {
      EXPECT_EQ(client.Read(16), std::string("KEYNOTAVAILABLE\0", 16));
      EXPECT_EQ(client.Read(65).size(), 65u);  // signature and NUL
      return false;
    }
    const std::string rest = client.Read(98);  // key, NUL, signature, NUL
    EXPECT_EQ(rest.size(), 98u) << "a key block is 102 bytes";
    return true;
  }

  cmtp::testing::RedisServer redis_;
  std::string dir_;
  Process keyserver_, mailstore_, gateway_;
  int keyserver_port_ = 0, mailstore_port_ = 0, gateway_port_ = 0;
  int metrics_port_ = 0, admin_port_ = 0;
  std::shared_ptr<grpc::Channel> admin_channel_;
};

TEST_F(GatewayBinaryTest, OneRequestIdFollowsAMailIntoTheMailstoreLog) {
  StartGateway();
  for (const char* user : {"alice", "bob"}) {
    cmtp::testing::CommandResult registered = Cli(user, "register");
    ASSERT_EQ(registered.exit_code, 0) << registered.out << registered.err;
  }
  cmtp::testing::CommandResult sent =
      Cli("alice", "send", {"--to", std::string("bob@") + kDomain, "--subject", "hi"},
          "one request id, two logs\n");
  ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err;

  // The gateway's one line for the MAIL: outcome, size, local recipient, no
  // address anywhere in it.
  std::string mail_line;
  ASSERT_TRUE(WaitFor([&] {
    for (const std::string& line : Lines(ReadFile(Log("gateway")))) {
      if (line.find("\"msg\":\"mail\"") != std::string::npos) mail_line = line;
    }
    return !mail_line.empty();
  })) << ReadFile(Log("gateway"));
  EXPECT_EQ(JsonField(mail_line, "outcome"), "stored") << mail_line;
  EXPECT_EQ(JsonField(mail_line, "recipient"), "local") << mail_line;
  EXPECT_NE(mail_line.find("\"size\":"), std::string::npos) << mail_line;
  EXPECT_EQ(mail_line.find("bob"), std::string::npos) << mail_line;
  EXPECT_EQ(mail_line.find("alice"), std::string::npos) << mail_line;
  const std::string request_id = JsonField(mail_line, "request_id");
  ASSERT_EQ(request_id.size(), 32u) << mail_line;

  // The mailstore logged its Put under the same id.
  EXPECT_TRUE(WaitFor([&] {
    for (const std::string& line : Lines(ReadFile(Log("mailstore")))) {
      if (JsonField(line, "request_id") == request_id &&
          line.find("/cmtp.v1.MailStore/Put") != std::string::npos) {
        return true;
      }
    }
    return false;
  })) << request_id
      << "\n"
      << ReadFile(Log("mailstore"));

  // Sessions are logged at their start and end.
  const std::string gateway_log = ReadFile(Log("gateway"));
  EXPECT_NE(gateway_log.find("\"msg\":\"session start\""), std::string::npos);
  EXPECT_NE(gateway_log.find("\"msg\":\"session end\""), std::string::npos);

  // And counted (once the reply is written, which may be just after the
  // client read it).
  EXPECT_TRUE(WaitFor([&] {
    return Sample(ScrapeMetrics(metrics_port_),
                  "cmtp_gateway_requests_total{command=\"MAIL\",outcome=\"success\"}") ==
           1;
  }));
  const std::string metrics = ScrapeMetrics(metrics_port_);
  EXPECT_EQ(Sample(metrics,
                   "cmtp_gateway_requests_total{command=\"MAIL\",outcome=\"success\"}"),
            1)
      << metrics;
  EXPECT_EQ(
      Sample(metrics, "cmtp_gateway_request_duration_seconds_count{command=\"MAIL\"}"),
      1);
  EXPECT_EQ(Sample(metrics, "cmtp_gateway_message_size_bytes_count"), 1);
  EXPECT_GT(Sample(metrics, "cmtp_gateway_received_bytes_total"), 0);
  EXPECT_GT(Sample(metrics, "cmtp_gateway_sent_bytes_total"), 0);
  EXPECT_GE(Sample(metrics, "cmtp_gateway_connections_accepted_total"), 3);
  EXPECT_EQ(Sample(metrics, "cmtp_gateway_open_connections"), 0);
  EXPECT_EQ(metrics.find("bob@"), std::string::npos);
}

// The gateway keeps signed key blocks (and "no such account") in memory; an
// operator's change reaches KEYREQUEST within the configured lifetimes.
TEST_F(GatewayBinaryTest, ADisabledAccountStopsBeingServedWithinTheKeyCacheTtl) {
  constexpr auto kTtl = std::chrono::milliseconds(1500);
  constexpr auto kNegativeTtl = std::chrono::milliseconds(300);
  StartGateway({"--key-cache-ttl-ms", std::to_string(kTtl.count()),
                "--key-cache-negative-ttl-ms", std::to_string(kNegativeTtl.count())});
  cmtp::testing::CommandResult registered = Cli("bob", "register");
  ASSERT_EQ(registered.exit_code, 0) << registered.out << registered.err;
  ASSERT_TRUE(KeyAvailable("bob"));  // now kept by the gateway

  const auto disabled_at = std::chrono::steady_clock::now();
  cmtp::testing::CommandResult disabled =
      Cmtpctl({"accounts", "disable", std::string("bob@") + kDomain});
  ASSERT_EQ(disabled.exit_code, 0) << disabled.out << disabled.err;
  std::this_thread::sleep_until(disabled_at + kTtl);
  EXPECT_FALSE(KeyAvailable("bob")) << "served past the key cache TTL";

  const auto enabled_at = std::chrono::steady_clock::now();
  cmtp::testing::CommandResult enabled =
      Cmtpctl({"accounts", "enable", std::string("bob@") + kDomain});
  ASSERT_EQ(enabled.exit_code, 0) << enabled.out << enabled.err;
  std::this_thread::sleep_until(enabled_at + kNegativeTtl);
  EXPECT_TRUE(KeyAvailable("bob")) << "\"not available\" kept past its TTL";
}

TEST_F(GatewayBinaryTest, RefusedConnectionsAndInvalidRequestsAreCounted) {
  StartGateway({"--max-connections", "1"});
  const int first = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(gateway_port_));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(first, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_TRUE(WaitFor([&] {
    return Sample(ScrapeMetrics(metrics_port_), "cmtp_gateway_open_connections") == 1;
  }));
  const int second = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(second, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  EXPECT_TRUE(WaitFor([&] {
    return Sample(ScrapeMetrics(metrics_port_),
                  "cmtp_gateway_connections_refused_total") == 1;
  }));
  close(second);
  // A command word the protocol does not have ends the session as an error.
  const std::string garbage("NOSUCHCOMMAND\0", 14);
  ASSERT_EQ(write(first, garbage.data(), garbage.size()),
            static_cast<ssize_t>(garbage.size()));
  EXPECT_TRUE(WaitFor([&] {
    return Sample(ScrapeMetrics(metrics_port_),
                  "cmtp_gateway_requests_total{command=\"INVALID\",outcome=\"error\"}") ==
           1;
  })) << ScrapeMetrics(metrics_port_);
  close(first);
}

TEST_F(GatewayBinaryTest, ReadinessFollowsTheMailstoreAndLivenessTheEventLoop) {
  StartGateway({"--shutdown-grace-seconds", "10"});
  EXPECT_TRUE(WaitFor([&] { return Serving(""); })) << ReadFile(Log("gateway"));
  EXPECT_TRUE(Serving("liveness"));

  mailstore_.Stop(SIGTERM, std::chrono::seconds(5));
  EXPECT_TRUE(WaitFor([&] { return !Serving(""); })) << ReadFile(Log("gateway"));
  EXPECT_TRUE(Serving("liveness"));

  ASSERT_TRUE(StartMailstore("127.0.0.1:" + std::to_string(mailstore_port_)))
      << ReadFile(Log("mailstore"));
  EXPECT_TRUE(WaitFor([&] { return Serving(""); })) << ReadFile(Log("gateway"));

  // A session in the middle of a command keeps the gateway draining after
  // SIGTERM: not ready any more, but alive.
  const int client = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(gateway_port_));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  const std::string half("KEYREQUEST\0bo", 13);
  ASSERT_EQ(write(client, half.data(), half.size()), static_cast<ssize_t>(half.size()));
  ASSERT_TRUE(WaitFor([&] {
    return Sample(ScrapeMetrics(metrics_port_), "cmtp_gateway_open_connections") == 1;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(kill(gateway_.pid(), SIGTERM), 0);
  EXPECT_TRUE(WaitFor([&] { return !Serving(""); }, std::chrono::seconds(5)));
  EXPECT_TRUE(gateway_.Running());
  EXPECT_TRUE(Serving("liveness"));
  // Once that session is gone the gateway stops, long before its grace ends.
  close(client);
  EXPECT_TRUE(WaitFor([&] { return !gateway_.Running(); }, std::chrono::seconds(5)));
}

}  // namespace
}  // namespace cmtp::gateway
