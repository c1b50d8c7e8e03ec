// The real cmtp-keyserver binary against a real redis-server: flags, the
// port file, a gRPC call, the server key file, and a clean SIGTERM exit.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "cmtp/v1/keyserver.grpc.pb.h"
#include "lib/crypto/sodium.h"
#include "lib/rpc/server.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"

namespace cmtp::keyserver {
namespace {

const std::string kBinary =
    std::string(CMTP_BINARY_DIR) + "/services/keyserver/cmtp-keyserver";

class KeyServerBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start());
    dir_ = cmtp::testing::MakeTempDir("cmtp-keyserver-");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Starts the binary; returns the port it wrote, 0 on failure.
  int Start(cmtp::testing::Process& process, const std::string& port_file) {
    std::remove(port_file.c_str());
    bool started = process.Start(
        {kBinary, "--listen", "127.0.0.1:0", "--port-file", port_file, "--redis",
         redis_.address(), "--domain", "example.org", "--server-key-file", KeyFile()},
        {}, dir_ + "/keyserver.log");
    if (!started) return 0;
    return cmtp::testing::WaitForPortFile(port_file);
  }

  std::string KeyFile() const { return dir_ + "/server.key"; }

  static cmtp::v1::KeyBlockResponse GetServerKey(int port) {
    auto stub = cmtp::v1::KeyServer::NewStub(
        rpc::MakeChannel("127.0.0.1:" + std::to_string(port)));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    cmtp::v1::KeyBlockResponse response;
    grpc::Status status =
        stub->GetServerKey(&context, cmtp::v1::GetServerKeyRequest(), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  // grpc.health.v1.Health/Check without generated code: the request is the
  // empty message (service ""), the reply's field 1 the serving status
  // (1 SERVING, 2 NOT_SERVING). Returns -1 when the call fails.
  static int HealthStatus(int port) {
    grpc::GenericStub stub(rpc::MakeChannel("127.0.0.1:" + std::to_string(port)));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::Slice empty;
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                   &request, &response,
                   [&done](grpc::Status status) { done.set_value(status); });
    if (!done.get_future().get().ok()) return -1;
    std::vector<grpc::Slice> slices;
    if (!response.Dump(&slices).ok()) return -1;
    std::string bytes;
    for (const grpc::Slice& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
    if (bytes.empty()) return 0;  // UNKNOWN, the default value, is not encoded
    if (bytes.size() == 2 && bytes[0] == 0x08) return bytes[1];
    return -1;
  }

  static void ExpectCleanExit(cmtp::testing::Process& process) {
    auto begin = std::chrono::steady_clock::now();
    int wait_status = process.Stop(SIGTERM, std::chrono::seconds(10));
    auto took = std::chrono::steady_clock::now() - begin;
    ASSERT_TRUE(WIFEXITED(wait_status)) << "wait status " << wait_status;
    EXPECT_EQ(WEXITSTATUS(wait_status), 0);
    EXPECT_LT(took, std::chrono::seconds(5));
  }

  cmtp::testing::RedisServer redis_;
  std::string dir_;
};

TEST_F(KeyServerBinaryTest, ServesTheServerKeyAndStopsOnSigterm) {
  cmtp::testing::Process process;
  int port = Start(process, dir_ + "/keyserver.port");
  ASSERT_GT(port, 0) << cmtp::testing::ReadFileOrDie(dir_ + "/keyserver.log");

  cmtp::v1::KeyBlockResponse key = GetServerKey(port);
  ASSERT_EQ(key.key_block().size(), 102u);
  ASSERT_EQ(key.public_key().size(), 32u);
  EXPECT_EQ(key.key_block().substr(4, 32), key.public_key());
  EXPECT_TRUE(
      crypto::Verify(key.public_key(), key.public_key(), key.key_block().substr(37, 64)));
  ExpectCleanExit(process);
}

TEST_F(KeyServerBinaryTest, CreatesTheServerKeyOnceAndKeepsIt) {
  struct stat info {};
  ASSERT_NE(stat(KeyFile().c_str(), &info), 0);

  std::string first_key;
  {
    cmtp::testing::Process process;
    int port = Start(process, dir_ + "/first.port");
    ASSERT_GT(port, 0) << cmtp::testing::ReadFileOrDie(dir_ + "/keyserver.log");
    first_key = GetServerKey(port).public_key();
    ExpectCleanExit(process);
  }
  ASSERT_EQ(stat(KeyFile().c_str(), &info), 0);
  EXPECT_EQ(info.st_size, 64);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  EXPECT_EQ(cmtp::testing::ReadFileOrDie(KeyFile()).substr(32), first_key);

  cmtp::testing::Process process;
  int port = Start(process, dir_ + "/second.port");
  ASSERT_GT(port, 0) << cmtp::testing::ReadFileOrDie(dir_ + "/keyserver.log");
  EXPECT_EQ(GetServerKey(port).public_key(), first_key);
  ExpectCleanExit(process);
}

TEST_F(KeyServerBinaryTest, HealthFollowsRedis) {
  cmtp::testing::Process process;
  int port = Start(process, dir_ + "/keyserver.port");
  ASSERT_GT(port, 0) << cmtp::testing::ReadFileOrDie(dir_ + "/keyserver.log");
  EXPECT_TRUE(cmtp::testing::WaitFor([&] { return HealthStatus(port) == 1; }));

  redis_.Stop();
  EXPECT_TRUE(cmtp::testing::WaitFor([&] { return HealthStatus(port) == 2; }));
  // The server's own key needs no Redis and keeps being served.
  EXPECT_EQ(GetServerKey(port).key_block().size(), 102u);

  ASSERT_TRUE(redis_.Start());
  EXPECT_TRUE(cmtp::testing::WaitFor([&] { return HealthStatus(port) == 1; }));
  ExpectCleanExit(process);
}

TEST(KeyServerBinaryFlagsTest, HelpExitsZeroAndListsTheFlags) {
  cmtp::testing::CommandResult result = cmtp::testing::RunCommand({kBinary, "--help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* flag :
       {"--listen", "--port-file", "--redis", "--domain", "--server-key-file",
        "--registration", "--v1-open-login", "--login-attempts-per-account",
        "--login-attempts-per-peer", "--login-window-seconds", "--invite-ttl-seconds"}) {
    EXPECT_NE(result.out.find(flag), std::string::npos) << flag;
  }
}

TEST(KeyServerBinaryFlagsTest, BadFlagValuesExitTwo) {
  for (const auto& bad : std::vector<std::vector<std::string>>{
           {kBinary, "--registration", "closed"},
           {kBinary, "--login-window-seconds", "0"},
           {kBinary, "--login-attempts-per-peer", "many"},
           {kBinary, "--v1-open-login=maybe"},
           {kBinary, "--no-such-flag", "1"}}) {
    cmtp::testing::CommandResult result = cmtp::testing::RunCommand(bad);
    EXPECT_EQ(result.exit_code, 2) << bad[1] << ": " << result.err;
    EXPECT_FALSE(result.err.empty()) << bad[1];
  }
}

}  // namespace
}  // namespace cmtp::keyserver
