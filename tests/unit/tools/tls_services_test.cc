// TLS between the services with certificates from `cmtpctl dev-ca`: the real
// keyserver, mailstore and gateway binaries with mutual TLS, cmtpctl and the
// cmtp CLI going through them, and the clients that must be refused.
#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include "lib/rpc/server.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"

namespace cmtp {
namespace {

using ::cmtp::testing::CommandResult;
using ::cmtp::testing::ReadFileOrDie;
using ::cmtp::testing::RunCommand;
using ::testing::HasSubstr;

std::string Binary(const std::string& path) {
  return std::string(CMTP_BINARY_DIR) + "/" + path;
}
const std::string kCmtpctl = Binary("tools/cmtpctl/cmtpctl");
const std::string kCmtp = Binary("tools/cmtp/cmtp");
const std::string kKeyserver = Binary("services/keyserver/cmtp-keyserver");
const std::string kMailstore = Binary("services/mailstore/cmtp-mailstore");
const std::string kGateway = Binary("services/gateway/cmtp-gateway");

// Runs `cmtpctl dev-ca --out dir`; the test fails when it does.
void DevCa(const std::string& dir) {
  CommandResult made = RunCommand({kCmtpctl, "dev-ca", "--out", dir});
  ASSERT_EQ(made.exit_code, 0) << made.err;
}

mode_t Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST(DevCaTest, WritesACaAndAPrivateKeyPairPerService) {
  std::string dir = testing::MakeTempDir("cmtp-devca-") + "/certs";
  CommandResult made =
      RunCommand({kCmtpctl, "dev-ca", "--out", dir, "--services", "keyserver,relay",
                  "--hosts", "mail.example.org,10.0.0.7", "--namespace", "cmtp"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_THAT(made.out, HasSubstr("DNS:keyserver.cmtp.svc.cluster.local"));
  EXPECT_THAT(made.out, HasSubstr("IP:10.0.0.7"));
  for (const char* name : {"ca", "keyserver", "relay"}) {
    std::string base = dir + "/" + name;
    EXPECT_THAT(ReadFileOrDie(base + ".crt"), HasSubstr("-----BEGIN CERTIFICATE-----"));
    EXPECT_THAT(ReadFileOrDie(base + ".key"), HasSubstr("PRIVATE KEY-----"));
    EXPECT_EQ(Mode(base + ".key"), 0600u) << name;
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/mailstore.crt"));

  // Run again: the CA stays (rotation reissues under it), the leaves change.
  std::string ca = ReadFileOrDie(dir + "/ca.crt");
  std::string leaf = ReadFileOrDie(dir + "/relay.crt");
  made = RunCommand({kCmtpctl, "dev-ca", "--out", dir, "--services", "relay"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_EQ(ReadFileOrDie(dir + "/ca.crt"), ca);
  EXPECT_NE(ReadFileOrDie(dir + "/relay.crt"), leaf);
  std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
}

TEST(DevCaTest, RefusesBadNames) {
  std::string dir = testing::MakeTempDir("cmtp-devca-");
  CommandResult made =
      RunCommand({kCmtpctl, "dev-ca", "--out", dir, "--services", "../escape"});
  EXPECT_EQ(made.exit_code, 2);
  EXPECT_THAT(made.err, HasSubstr("bad service name"));
  std::filesystem::remove_all(dir);
}

class MutualTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start());
    dir_ = testing::MakeTempDir("cmtp-tls-");
    certs_ = dir_ + "/certs";
    ASSERT_NO_FATAL_FAILURE(DevCa(certs_));
    ASSERT_NO_FATAL_FAILURE(DevCa(dir_ + "/other"));
    for (auto [process, name] :
         {std::pair{&keyserver_, "keyserver"}, std::pair{&mailstore_, "mailstore"}}) {
      std::string port_file = dir_ + "/" + name + ".port";
      std::vector<std::string> argv = {
          Binary(std::string("services/") + name + "/cmtp-" + name),
          "--listen",
          "127.0.0.1:0",
          "--port-file",
          port_file,
          "--redis",
          redis_.address(),
          "--tls-cert",
          Cert(name),
          "--tls-key",
          Key(name),
          "--tls-client-ca",
          certs_ + "/ca.crt"};
      if (std::string(name) == "keyserver") {
        argv.insert(argv.end(), {"--server-key-file", dir_ + "/server.key"});
      }
      ASSERT_TRUE(process->Start(argv, {}, Log(name)));
      int port = testing::WaitForPortFile(port_file);
      ASSERT_NE(port, 0) << ReadFileOrDie(Log(name));
      (std::string(name) == "keyserver" ? keyserver_address_ : mailstore_address_) =
          "127.0.0.1:" + std::to_string(port);
    }
  }
  void TearDown() override {
    for (testing::Process* p : {&gateway_, &mailstore_, &keyserver_}) {
      if (p->Running()) p->Stop(SIGTERM);
    }
    std::filesystem::remove_all(dir_);
  }

  std::string Cert(const std::string& name) const { return certs_ + "/" + name + ".crt"; }
  std::string Key(const std::string& name) const { return certs_ + "/" + name + ".key"; }
  std::string Log(const std::string& name) const { return dir_ + "/" + name + ".log"; }

  CommandResult Ctl(std::vector<std::string> tls_flags) const {
    std::vector<std::string> argv = {
        kCmtpctl,           "accounts",          "list", "--keyserver",
        keyserver_address_, "--timeout-seconds", "5"};
    argv.insert(argv.end(), tls_flags.begin(), tls_flags.end());
    return RunCommand(argv);
  }

  std::vector<std::string> ClientFlags(const std::string& certs,
                                       const std::string& name) {
    return {"--tls-ca",   certs_ + "/ca.crt",
            "--tls-cert", certs + "/" + name + ".crt",
            "--tls-key",  certs + "/" + name + ".key"};
  }

  testing::RedisServer redis_;
  std::string dir_;
  std::string certs_;
  testing::Process keyserver_;
  testing::Process mailstore_;
  testing::Process gateway_;
  std::string keyserver_address_;
  std::string mailstore_address_;
};

TEST_F(MutualTlsTest, GatewayAndCmtpctlWithCertificatesGetThrough) {
  int gateway_port = testing::FreePort();
  std::vector<std::string> argv = {kGateway,
                                   "--listen-address",
                                   "127.0.0.1",
                                   "--port",
                                   std::to_string(gateway_port),
                                   "--keyserver",
                                   keyserver_address_,
                                   "--mailstore",
                                   mailstore_address_,
                                   "--server-key-file",
                                   dir_ + "/server.key"};
  for (const std::string& flag : ClientFlags(certs_, "gateway")) argv.push_back(flag);
  ASSERT_TRUE(gateway_.Start(argv, {}, Log("gateway")));
  ASSERT_TRUE(testing::WaitFor([&] { return testing::CanConnect(gateway_port); }))
      << ReadFileOrDie(Log("gateway"));

  // Registering goes gateway -> keyserver; sending and listing, gateway ->
  // mailstore: both over mutual TLS.
  std::string password = dir_ + "/alice.password";
  std::ofstream(password) << "correct horse battery staple\n";
  std::vector<std::string> user = {
      "--server",        "127.0.0.1:" + std::to_string(gateway_port),
      "--account",       "alice@localhost",
      "--password-file", password,
      "--state-dir",     dir_ + "/alice"};
  std::map<std::string, std::string> env = {{"CMTP_KDF_COST", "interactive"}};
  auto cli = [&](std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), kCmtp);
    args.insert(args.begin() + 2, user.begin(), user.end());
    return RunCommand(args, input, env, std::chrono::seconds(60));
  };
  CommandResult registered = cli({"register"});
  ASSERT_EQ(registered.exit_code, 0) << registered.err << ReadFileOrDie(Log("gateway"));
  CommandResult sent =
      cli({"send", "--to", "alice@localhost", "--subject", "hi"}, "over TLS\n");
  ASSERT_EQ(sent.exit_code, 0) << sent.err << ReadFileOrDie(Log("gateway"));
  CommandResult inbox = cli({"inbox"});
  ASSERT_EQ(inbox.exit_code, 0) << inbox.err;
  EXPECT_THAT(inbox.out, HasSubstr("alice@localhost"));

  CommandResult listed = Ctl(ClientFlags(certs_, "cmtpctl"));
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("alice"));
}

TEST_F(MutualTlsTest, ClientWithoutCertificateIsRefused) {
  CommandResult refused = Ctl({"--tls-ca", certs_ + "/ca.crt"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("client certificate signed by its CA"));
  EXPECT_THAT(ReadFileOrDie(Log("keyserver")),
              HasSubstr("peer did not return a certificate"));
}

TEST_F(MutualTlsTest, ClientWithAnotherCasCertificateIsRefused) {
  CommandResult refused = Ctl(ClientFlags(dir_ + "/other", "cmtpctl"));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("client certificate signed by its CA"));
  EXPECT_THAT(ReadFileOrDie(Log("keyserver")), HasSubstr("certificate verify failed"));
}

TEST_F(MutualTlsTest, PlaintextClientIsRefused) {
  CommandResult refused = Ctl({});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("does the service want TLS"));
}

TEST_F(MutualTlsTest, ServerFromAnotherCaIsNotTrusted) {
  std::vector<std::string> flags = ClientFlags(certs_, "cmtpctl");
  flags[1] = dir_ + "/other/ca.crt";
  CommandResult refused = Ctl(flags);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("certificate verify failed"));
}

// grpc.health.v1.Health/Check for `service` over plaintext, without
// generated code: 1 SERVING, 2 NOT_SERVING, -1 when the call fails.
int HealthStatus(int port, const std::string& service) {
  grpc::GenericStub stub(rpc::MakeChannel("127.0.0.1:" + std::to_string(port)));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  std::string encoded;
  if (!service.empty()) {
    encoded = std::string(1, '\x0a') + static_cast<char>(service.size()) + service;
  }
  grpc::Slice slice(encoded);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                 &response, [&done](grpc::Status status) { done.set_value(status); });
  if (!done.get_future().get().ok()) return -1;
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return -1;
  std::string bytes;
  for (const grpc::Slice& part : slices) {
    bytes.append(reinterpret_cast<const char*>(part.begin()), part.size());
  }
  if (bytes.size() == 2 && bytes[0] == 0x08) return bytes[1];
  return -1;
}

// With TLS on the gRPC port, probes use the plaintext health port: readiness
// ("") follows Redis, "liveness" does not.
TEST(HealthPortTest, PlaintextHealthBesideMutualTls) {
  testing::RedisServer redis;
  ASSERT_TRUE(redis.Start());
  std::string dir = testing::MakeTempDir("cmtp-health-");
  ASSERT_NO_FATAL_FAILURE(DevCa(dir + "/certs"));
  int health_port = testing::FreePort();
  testing::Process keyserver;
  ASSERT_TRUE(keyserver.Start(
      {kKeyserver, "--listen", "127.0.0.1:0", "--port-file", dir + "/ks.port", "--redis",
       redis.address(), "--server-key-file", dir + "/server.key", "--tls-cert",
       dir + "/certs/keyserver.crt", "--tls-key", dir + "/certs/keyserver.key",
       "--tls-client-ca", dir + "/certs/ca.crt", "--health-listen",
       "127.0.0.1:" + std::to_string(health_port)},
      {}, dir + "/keyserver.log"));
  int port = testing::WaitForPortFile(dir + "/ks.port");
  ASSERT_NE(port, 0) << ReadFileOrDie(dir + "/keyserver.log");
  EXPECT_EQ(HealthStatus(health_port, ""), 1);
  EXPECT_EQ(HealthStatus(health_port, "liveness"), 1);
  EXPECT_EQ(HealthStatus(port, ""), -1) << "plaintext got through to the TLS port";

  redis.Stop();
  EXPECT_TRUE(testing::WaitFor([&] { return HealthStatus(health_port, "") == 2; },
                               std::chrono::seconds(10)));
  EXPECT_EQ(HealthStatus(health_port, "liveness"), 1);
  int status = keyserver.Stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  std::filesystem::remove_all(dir);
}

// Bad certificate flags stop a binary at start-up with exit code 2 and the
// flag named, before it touches Redis or a port.
TEST(TlsFlagsTest, BadFilesExitTwoNamingTheFlag) {
  std::string dir = testing::MakeTempDir("cmtp-tls-flags-");
  ASSERT_NO_FATAL_FAILURE(DevCa(dir + "/certs"));
  std::string certs = dir + "/certs";
  struct Case {
    std::vector<std::string> argv;
    std::string message;
  };
  std::vector<Case> cases = {
      {{kKeyserver, "--tls-cert", dir + "/absent.crt", "--tls-key",
        certs + "/keyserver.key"},
       "--tls-cert: cannot read"},
      {{kMailstore, "--tls-cert", certs + "/mailstore.crt", "--tls-key",
        certs + "/mailstore.crt"},
       "--tls-key: " + certs + "/mailstore.crt is not a PEM private key"},
      {{kMailstore, "--tls-cert", certs + "/mailstore.crt"}, "go together"},
      {{kKeyserver, "--tls-client-ca", certs + "/ca.crt"}, "--tls-client-ca needs"},
      {{kGateway, "--tls-ca", certs + "/ca.key"},
       "--tls-ca: " + certs + "/ca.key is not"},
      {{kCmtpctl, "accounts", "list", "--keyserver", "127.0.0.1:1", "--tls-ca",
        dir + "/nothing"},
       "--tls-ca: cannot read"},
  };
  for (const Case& c : cases) {
    CommandResult result = RunCommand(c.argv, "", {}, std::chrono::seconds(20));
    EXPECT_EQ(result.exit_code, 2) << c.argv[0] << " " << result.err;
    EXPECT_THAT(result.err, HasSubstr(c.message)) << c.argv[0];
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cmtp
