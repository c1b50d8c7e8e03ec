// cmtpctl against in-process fake KeyServer and MailStore services: the
// import creates each reference user once, stores each message under its
// content id, and a second run changes nothing.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "cmtp/v1/keyserver.grpc.pb.h"
#include "cmtp/v1/mailstore.grpc.pb.h"
#include "lib/wire/message_id.h"
#include "tests/support/ports.h"
#include "tests/unit/tools/reference_data_folder.h"
#include "tools/cmtp/exit_codes.h"
#include "tools/cmtpctl/ctl_cli.h"

namespace cmtp::ctl {
namespace {

class FakeKeyServer final : public v1::KeyServer::Service {
 public:
  grpc::Status CreateAccount(grpc::ServerContext*,
                             const v1::CreateAccountRequest* request,
                             v1::CreateAccountResponse*) override {
    std::lock_guard<std::mutex> lock(mutex);
    const v1::RegisterRequest& registration = request->registration();
    if (registration.domain() != "hawaii.edu") {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "wrong domain");
    }
    if (!request->skip_proof()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no proof");
    }
    if (accounts.count(registration.account()) != 0) {
      return grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "exists");
    }
    accounts[registration.account()] = registration;
    return grpc::Status::OK;
  }
  grpc::Status CreateInvite(grpc::ServerContext*, const v1::CreateInviteRequest* request,
                            v1::CreateInviteResponse* response) override {
    response->set_token("invite-" + std::to_string(request->ttl_seconds()));
    response->set_expires_unix_ms(1'700'000'000'000);
    return grpc::Status::OK;
  }

  std::mutex mutex;
  std::map<std::string, v1::RegisterRequest> accounts;
};

class FakeMailStore final : public v1::MailStore::Service {
 public:
  grpc::Status Put(grpc::ServerContext*, const v1::PutRequest* request,
                   v1::PutResponse* response) override {
    std::lock_guard<std::mutex> lock(mutex);
    const std::string key = request->mailbox() + "/" + request->message_id();
    response->set_duplicate(blobs.count(key) != 0);
    if (!response->duplicate()) blobs[key] = *request;
    return grpc::Status::OK;
  }

  std::mutex mutex;
  std::map<std::string, v1::PutRequest> blobs;
};

class ImportCommandTest : public ::testing::Test {
 protected:
  ImportCommandTest() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&keyserver_);
    builder.RegisterService(&mailstore_);
    server_ = builder.BuildAndStart();
  }
  ~ImportCommandTest() override { server_->Shutdown(); }

  int RunCtlWith(std::vector<std::string> args, std::string& out, std::string& err) {
    const std::string address = "127.0.0.1:" + std::to_string(port_);
    args.insert(args.end(), {"--keyserver", address, "--mailstore", address});
    std::istringstream in;
    std::ostringstream out_stream;
    std::ostringstream err_stream;
    cli::Terminal terminal{in, out_stream, err_stream};
    const int code = RunCtl(args, terminal);
    out = out_stream.str();
    err = err_stream.str();
    return code;
  }

  int port_ = 0;
  FakeKeyServer keyserver_;
  FakeMailStore mailstore_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(ImportCommandTest, ImportsUsersAndMessagesOnce) {
  ASSERT_NE(port_, 0);
  const std::string root = cmtp::testing::MakeReferenceDataFolder();
  std::string out, err;
  ASSERT_EQ(RunCtlWith({"import-reference", root, "--domain", "hawaii.edu"}, out, err),
            cli::kExitOk)
      << err;
  EXPECT_NE(out.find("users: 2 created, 0 already present"), std::string::npos) << out;
  EXPECT_NE(out.find("messages: 1 stored, 0 already present"), std::string::npos) << out;

  ASSERT_EQ(keyserver_.accounts.size(), 2u);
  const v1::RegisterRequest& alice = keyserver_.accounts.at("alice");
  EXPECT_EQ(alice.public_key(),
            cmtp::testing::ReadFileOrDie(cmtp::testing::VectorPath("alice_public.key")));
  EXPECT_EQ(alice.xzibit(),
            cmtp::testing::ReadFileOrDie(cmtp::testing::VectorPath("alice.xzibit")));
  EXPECT_TRUE(keyserver_.accounts.at("bob").xzibit().empty());

  ASSERT_EQ(mailstore_.blobs.size(), 1u);
  const v1::PutRequest& put = mailstore_.blobs.begin()->second;
  EXPECT_EQ(put.mailbox(), "bob");
  EXPECT_EQ(put.blob(), cmtp::testing::ReferenceMessageBytes());
  EXPECT_EQ(put.src_account(), "alice");
  EXPECT_EQ(put.src_domain(), "hawaii.edu");
  EXPECT_EQ(put.message_id().size(), 32u);

  // Again: everything is already there.
  ASSERT_EQ(RunCtlWith({"import-reference", root, "--domain", "hawaii.edu"}, out, err),
            cli::kExitOk)
      << err;
  EXPECT_NE(out.find("users: 0 created, 2 already present"), std::string::npos) << out;
  EXPECT_NE(out.find("messages: 0 stored, 1 already present"), std::string::npos) << out;
  EXPECT_NE(err.find("already exists, skipped"), std::string::npos) << err;
  EXPECT_EQ(mailstore_.blobs.size(), 1u);
}

TEST_F(ImportCommandTest, RefusedUsersFailTheImport) {
  const std::string root = cmtp::testing::MakeReferenceDataFolder();
  std::string out, err;
  EXPECT_EQ(RunCtlWith({"import-reference", root, "--domain", "other.org"}, out, err),
            cli::kExitRefused);
  EXPECT_NE(out.find("2 failed"), std::string::npos) << out;
  EXPECT_TRUE(mailstore_.blobs.empty());
}

TEST_F(ImportCommandTest, DomainIsRequired) {
  std::string out, err;
  EXPECT_EQ(RunCtlWith({"import-reference", cmtp::testing::MakeReferenceDataFolder()},
                       out, err),
            cli::kExitUsage);
  EXPECT_NE(err.find("--domain"), std::string::npos) << err;
}

TEST_F(ImportCommandTest, InvitePrintsOnlyTheToken) {
  std::string out, err;
  ASSERT_EQ(RunCtlWith({"invite", "--ttl-seconds", "60"}, out, err), cli::kExitOk) << err;
  EXPECT_EQ(out, "invite-60\n");
}

TEST_F(ImportCommandTest, UnknownCommandIsAUsageError) {
  std::string out, err;
  EXPECT_EQ(RunCtlWith({"accounts", "explode"}, out, err), cli::kExitUsage);
  EXPECT_EQ(RunCtlWith({}, out, err), cli::kExitUsage);
}

TEST_F(ImportCommandTest, UnimplementedRpcIsARefusal) {
  std::string out, err;
  EXPECT_EQ(RunCtlWith({"accounts", "list"}, out, err), cli::kExitRefused);
  EXPECT_NE(err.find("ListAccounts"), std::string::npos) << err;
}

}  // namespace
}  // namespace cmtp::ctl
