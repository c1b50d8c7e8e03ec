// The real cmtp-mailstore binary, started as a process against a real Redis
// and spoken to over gRPC.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cmtp/v1/mailstore.grpc.pb.h"
#include "lib/rpc/server.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"

namespace cmtp {
namespace {

using ::cmtp::testing::CommandResult;
using ::cmtp::testing::MakeTempDir;
using ::cmtp::testing::Process;
using ::cmtp::testing::RedisServer;
using ::cmtp::testing::RunCommand;
using ::cmtp::testing::WaitForPortFile;

const std::string kBinary =
    std::string(CMTP_BINARY_DIR) + "/services/mailstore/cmtp-mailstore";
constexpr char kId[] = "0123456789abcdef0123456789abcdef";

class MailstoreBinaryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Server shutdown waits for clients to close their connections after its
    // GOAWAY. An idle gRPC client notices the GOAWAY only when its backup
    // poller runs, every 5 s by default; this test's client polls more often
    // so that the time measured is the server's own. Read once, at gRPC init.
    setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", "50", 1);
  }

  void SetUp() override {
    ASSERT_TRUE(redis_.Start());
    dir_ = MakeTempDir("cmtp-mailstore-");
  }

  // Starts the binary with `extra` flags and connects a stub to it.
  void StartMailstore(const std::vector<std::string>& extra = {}) {
    std::string port_file = dir_ + "/mailstore.port";
    std::vector<std::string> argv = {kBinary,         "--listen", "127.0.0.1:0",
                                     "--port-file",   port_file,  "--redis",
                                     redis_.address()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ASSERT_TRUE(process_.Start(argv, {}, dir_ + "/mailstore.log"));
    int port = WaitForPortFile(port_file);
    ASSERT_GT(port, 0) << "no port file; see " << dir_ << "/mailstore.log";
    stub_ = v1::MailStore::NewStub(rpc::MakeChannel("127.0.0.1:" + std::to_string(port)));
  }

  grpc::Status Put(const std::string& blob, v1::PutResponse* response) {
    v1::PutRequest request;
    request.set_mailbox("alice");
    request.set_message_id(kId);
    request.set_blob(blob);
    request.set_src_account("bob");
    request.set_src_domain("example.org");
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return stub_->Put(&context, request, response);
  }

  RedisServer redis_;
  std::string dir_;
  Process process_;
  std::unique_ptr<v1::MailStore::Stub> stub_;
};

TEST_F(MailstoreBinaryTest, PutAndGetOverGrpcThenSigtermExitsZero) {
  StartMailstore();
  // Larger than gRPC's default 4 MiB message limit: the server raised it.
  std::string blob(5 << 20, 'm');
  blob[0] = '\0';
  v1::PutResponse put;
  grpc::Status put_status = Put(blob, &put);
  ASSERT_TRUE(put_status.ok()) << put_status.error_message();
  EXPECT_FALSE(put.duplicate());
  EXPECT_EQ(put.meta().message_id(), kId);
  EXPECT_EQ(put.meta().size(), blob.size());
  EXPECT_EQ(put.meta().sequence(), 1u);
  EXPECT_GT(put.meta().arrival_unix_ms(), 1600000000000);

  v1::PutResponse again;
  ASSERT_TRUE(Put(blob, &again).ok());
  EXPECT_TRUE(again.duplicate());

  v1::GetRequest get_request;
  get_request.set_mailbox("alice");
  get_request.set_message_id(kId);
  v1::GetResponse get;
  grpc::ClientContext get_context;
  grpc::Status get_status = stub_->Get(&get_context, get_request, &get);
  ASSERT_TRUE(get_status.ok()) << get_status.error_message();
  EXPECT_TRUE(get.blob() == blob);
  EXPECT_EQ(get.meta().src_account(), "bob");
  EXPECT_EQ(get.meta().src_domain(), "example.org");

  v1::StatsRequest stats_request;
  v1::StatsResponse stats;
  grpc::ClientContext stats_context;
  ASSERT_TRUE(stub_->Stats(&stats_context, stats_request, &stats).ok());
  ASSERT_EQ(stats.mailboxes_size(), 1);
  EXPECT_EQ(stats.mailboxes(0).mailbox(), "alice");
  EXPECT_EQ(stats.mailboxes(0).messages(), 1u);
  EXPECT_EQ(stats.mailboxes(0).bytes(), blob.size());

  auto started = std::chrono::steady_clock::now();
  // Well within Kubernetes' default 30 s grace: the drain itself is quick,
  // and the 5 MiB Get reply above is what used to start gRPC's TCP backup
  // poller, which kept the exiting process waiting ~10 s (lib/rpc/server.cc).
  // The rest of the bound is room for a loaded machine or a sanitizer build.
  int status = process_.Stop(SIGTERM, std::chrono::seconds(30));
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST_F(MailstoreBinaryTest, ErrorsKeepTheirCodesOverGrpc) {
  StartMailstore({"--max-blob-bytes", "100"});
  v1::PutResponse put;
  grpc::Status too_big = Put(std::string(101, 'x'), &put);
  EXPECT_EQ(too_big.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(too_big.error_message(),
            "message blob is 101 bytes, more than the limit of 100");

  v1::GetRequest get_request;
  get_request.set_mailbox("alice");
  get_request.set_message_id(kId);
  v1::GetResponse get;
  grpc::ClientContext get_context;
  EXPECT_EQ(stub_->Get(&get_context, get_request, &get).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::DeleteRequest delete_request;
  delete_request.set_mailbox("a:b");
  delete_request.set_message_id(kId);
  v1::DeleteResponse deleted;
  grpc::ClientContext delete_context;
  EXPECT_EQ(stub_->Delete(&delete_context, delete_request, &deleted).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  redis_.KillHard();
  v1::ListRequest list_request;
  list_request.set_mailbox("alice");
  v1::ListResponse list;
  grpc::ClientContext list_context;
  EXPECT_EQ(stub_->List(&list_context, list_request, &list).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(MailstoreBinaryTest, PutBatchAnswersEachPutAndRefusesAnOversizedBatch) {
  StartMailstore({"--max-blob-bytes", "100", "--max-batch-puts", "3"});
  v1::PutBatchRequest request;
  for (const char* blob : {"first",
                           "a blob over the limit of a hundred bytes ............"
                           "................................................",
                           "first again"}) {
    v1::PutRequest* put = request.add_puts();
    put->set_mailbox("alice");
    put->set_message_id(kId);
    put->set_blob(blob);
    put->set_src_account("bob");
    put->set_src_domain("example.org");
  }
  v1::PutBatchResponse response;
  grpc::ClientContext context;
  grpc::Status status = stub_->PutBatch(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.outcomes_size(), 3);
  EXPECT_EQ(response.outcomes(0).code(), 0) << response.outcomes(0).error();
  EXPECT_FALSE(response.outcomes(0).response().duplicate());
  EXPECT_EQ(response.outcomes(0).response().meta().size(), 5u);
  EXPECT_EQ(response.outcomes(1).code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(response.outcomes(1).error(),
            "message blob is 101 bytes, more than the limit of 100");
  EXPECT_EQ(response.outcomes(2).code(), 0) << response.outcomes(2).error();
  EXPECT_TRUE(response.outcomes(2).response().duplicate());

  request.add_puts()->CopyFrom(request.puts(0));
  grpc::ClientContext oversized_context;
  grpc::Status oversized = stub_->PutBatch(&oversized_context, request, &response);
  EXPECT_EQ(oversized.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(oversized.error_message(), "a batch holds 1 to 3 puts, not 4");
}

TEST(MailstoreBinaryFlags, HelpListsTheFlagsAndExitsZero) {
  CommandResult help = RunCommand({kBinary, "--help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  for (const char* flag : {"--listen", "--port-file", "--redis", "--max-blob-bytes",
                           "--wait-replicas", "--wait-timeout-ms", "--max-batch-puts"}) {
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag << " missing from\n"
                                                      << help.out;
  }
}

TEST(MailstoreBinaryFlags, BadFlagsExitTwo) {
  EXPECT_EQ(RunCommand({kBinary, "--no-such-flag"}).exit_code, 2);
  EXPECT_EQ(RunCommand({kBinary, "--max-blob-bytes", "lots"}).exit_code, 2);
  EXPECT_EQ(
      RunCommand({kBinary, "--wait-replicas", "1", "--wait-timeout-ms", "0"}).exit_code,
      2);
  EXPECT_EQ(RunCommand({kBinary, "--max-batch-puts", "0"}).exit_code, 2);
}

}  // namespace
}  // namespace cmtp
