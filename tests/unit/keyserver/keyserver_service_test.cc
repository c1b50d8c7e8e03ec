// The gRPC adapter: requests reach the core and errors keep their codes.
// Runs the service in-process (no port) against a real Redis.
#include "services/keyserver/keyserver_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>

#include "lib/crypto/protocol_signatures.h"
#include "lib/crypto/sodium.h"
#include "lib/crypto/xzibit.h"
#include "tests/unit/keyserver/redis_fixture.h"
#include "tests/unit/keyserver/test_accounts.h"

namespace cmtp::keyserver {
namespace {

using test::kDomain;

class KeyServerServiceTest : public test::RedisTest {
 protected:
  void SetUp() override {
    test::RedisTest::SetUp();
    KeyServerOptions options;
    options.domain = kDomain;
    options.login_limits = {.per_account = 4, .per_peer = 100, .window_seconds = 300};
    core_ = std::make_unique<KeyServerCore>(redis(), crypto::GenerateKeyPair(), options,
                                            [] { return int64_t{1'700'000'000'000}; });
    service_ = std::make_unique<KeyServerService>(*core_);
    grpc::ServerBuilder builder;
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ =
        cmtp::v1::KeyServer::NewStub(server_->InProcessChannel(grpc::ChannelArguments()));
  }
  void TearDown() override {
    server_->Shutdown();
    server_->Wait();
  }

  static cmtp::v1::RegisterRequest ToProto(const Registration& r) {
    cmtp::v1::RegisterRequest request;
    request.set_account(r.account);
    request.set_domain(r.domain);
    request.set_public_key(r.public_key);
    request.set_xzibit(r.xzibit);
    request.set_login_public_key(r.login_public_key);
    request.set_invite_token(r.invite_token);
    request.set_signature(r.signature);
    return request;
  }
  grpc::Status Register(const Registration& r) {
    grpc::ClientContext context;
    cmtp::v1::RegisterResponse response;
    return stub_->Register(&context, ToProto(r), &response);
  }

  std::unique_ptr<KeyServerCore> core_;
  std::unique_ptr<KeyServerService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<cmtp::v1::KeyServer::Stub> stub_;
};

TEST_F(KeyServerServiceTest, RegisterThenFetchTheKeyBlock) {
  test::NewUser bob = test::MakeV2User("bob", kDomain);
  {
    grpc::ClientContext context;
    cmtp::v1::RegisterResponse response;
    grpc::Status status = stub_->Register(&context, ToProto(bob.request), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.created_unix_ms(), 1'700'000'000'000);
  }
  EXPECT_EQ(Register(bob.request).error_code(), grpc::StatusCode::ALREADY_EXISTS);

  grpc::ClientContext context;
  cmtp::v1::GetAccountKeyRequest request;
  request.set_account("bob");
  cmtp::v1::KeyBlockResponse response;
  ASSERT_TRUE(stub_->GetAccountKey(&context, request, &response).ok());
  EXPECT_EQ(response.public_key(), bob.identity.public_key);
  EXPECT_EQ(response.key_block(), core_->AccountKey("bob")->block);
  ASSERT_EQ(response.key_block().size(), 102u);
  EXPECT_TRUE(crypto::Verify(core_->server_public_key(), bob.identity.public_key,
                             response.key_block().substr(37, 64)));
}

TEST_F(KeyServerServiceTest, ErrorsKeepTheirCodesAndReasons) {
  {
    grpc::ClientContext context;
    cmtp::v1::GetAccountKeyRequest request;
    request.set_account("nobody");
    cmtp::v1::KeyBlockResponse response;
    grpc::Status status = stub_->GetAccountKey(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  }
  test::NewUser stranger = test::MakeV2User("bob", "other.org");
  grpc::Status denied = Register(stranger.request);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(denied.error_message(), "this server serves example.org");

  test::NewUser bob = test::MakeV2User("bob", kDomain);
  bob.request.signature = test::SignRegistration(crypto::GenerateKeyPair(), bob.request);
  EXPECT_EQ(Register(bob.request).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  bob.request.account = "Bob";
  EXPECT_EQ(Register(bob.request).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  grpc::ClientContext context;
  cmtp::v1::SetAccountDisabledRequest request;
  request.set_account("nobody");
  request.set_disabled(true);
  cmtp::v1::SetAccountDisabledResponse response;
  EXPECT_EQ(stub_->SetAccountDisabled(&context, request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(KeyServerServiceTest, V2LoginAndAuthOverGrpc) {
  test::NewUser bob = test::MakeV2User("bob", kDomain);
  ASSERT_TRUE(Register(bob.request).ok());

  cmtp::v1::BeginLoginResponse start;
  {
    grpc::ClientContext context;
    cmtp::v1::BeginLoginRequest request;
    request.set_account("bob");
    request.set_peer("10.0.0.1:99");
    ASSERT_TRUE(stub_->BeginLogin(&context, request, &start).ok());
  }
  absl::StatusOr<crypto::XzibitInfo> info = crypto::InspectXzibit(bob.request.xzibit);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(start.xzibit_version(), 2u);
  EXPECT_EQ(start.salt(), info->salt);
  EXPECT_EQ(start.opslimit(), info->opslimit);
  EXPECT_EQ(start.memlimit(), info->memlimit);
  EXPECT_TRUE(start.xzibit().empty());

  std::string challenge = crypto::RandomBytes(32);
  auto complete = [&](const std::string& proof,
                      cmtp::v1::CompleteLoginResponse* response) {
    grpc::ClientContext context;
    cmtp::v1::CompleteLoginRequest request;
    request.set_account("bob");
    request.set_challenge(challenge);
    request.set_proof(proof);
    request.set_peer("10.0.0.1:99");
    return stub_->CompleteLogin(&context, request, response);
  };
  cmtp::v1::CompleteLoginResponse released;
  grpc::Status wrong = complete(std::string(64, 'x'), &released);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(wrong.error_message(), "wrong password");
  std::string proof = crypto::Sign(
      bob.login_key.secret_key.view(),
      crypto::LoginSignedBytes("bob", kDomain, challenge, core_->server_public_key()));
  ASSERT_TRUE(complete(proof, &released).ok());
  EXPECT_EQ(released.xzibit(), bob.request.xzibit);
  EXPECT_TRUE(crypto::Verify(core_->server_public_key(), released.xzibit(),
                             released.signature()));

  // The success restarted the count of four: four wrong proofs use it up, then
  // even the right proof waits.
  EXPECT_EQ(complete(std::string(64, 'x'), &released).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(complete(std::string(64, 'x'), &released).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(complete(std::string(64, 'x'), &released).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(complete(std::string(64, 'x'), &released).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(complete(proof, &released).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);

  grpc::ClientContext context;
  cmtp::v1::VerifyAuthRequest auth;
  auth.set_account("bob");
  auth.set_challenge(challenge);
  auth.set_proof(crypto::Sign(
      bob.identity.secret_key.view(),
      crypto::AuthSignedBytes("bob", kDomain, challenge, core_->server_public_key())));
  cmtp::v1::VerifyAuthResponse auth_response;
  EXPECT_TRUE(stub_->VerifyAuth(&context, auth, &auth_response).ok());
}

TEST_F(KeyServerServiceTest, OperatorCalls) {
  {
    grpc::ClientContext context;
    cmtp::v1::CreateAccountRequest request;
    request.mutable_registration()->set_account("imported");
    request.mutable_registration()->set_public_key(crypto::GenerateKeyPair().public_key);
    request.set_skip_proof(true);
    request.set_created_unix_ms(42);
    cmtp::v1::CreateAccountResponse response;
    grpc::Status status = stub_->CreateAccount(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.created_unix_ms(), 42);
  }
  ASSERT_TRUE(Register(test::MakeV2User("bob", kDomain).request).ok());
  {
    grpc::ClientContext context;
    cmtp::v1::SetAccountDisabledRequest request;
    request.set_account("bob");
    request.set_disabled(true);
    cmtp::v1::SetAccountDisabledResponse response;
    ASSERT_TRUE(stub_->SetAccountDisabled(&context, request, &response).ok());
  }
  {
    grpc::ClientContext context;
    cmtp::v1::ListAccountsResponse response;
    ASSERT_TRUE(
        stub_->ListAccounts(&context, cmtp::v1::ListAccountsRequest(), &response).ok());
    ASSERT_EQ(response.accounts_size(), 2);
    EXPECT_EQ(response.accounts(0).account(), "bob");
    EXPECT_TRUE(response.accounts(0).disabled());
    EXPECT_EQ(response.accounts(0).xzibit_version(), 2u);
    EXPECT_EQ(response.accounts(1).account(), "imported");
    EXPECT_EQ(response.accounts(1).created_unix_ms(), 42);
    EXPECT_EQ(response.accounts(1).xzibit_version(), 0u);
    EXPECT_FALSE(response.accounts(1).disabled());
  }
  {
    grpc::ClientContext context;
    cmtp::v1::CreateInviteRequest request;
    request.set_ttl_seconds(120);
    cmtp::v1::CreateInviteResponse response;
    ASSERT_TRUE(stub_->CreateInvite(&context, request, &response).ok());
    EXPECT_EQ(response.token().size(), 32u);
    EXPECT_EQ(response.expires_unix_ms(), 1'700'000'000'000 + 120'000);
  }
  {
    grpc::ClientContext context;
    cmtp::v1::KeyBlockResponse response;
    ASSERT_TRUE(
        stub_->GetServerKey(&context, cmtp::v1::GetServerKeyRequest(), &response).ok());
    EXPECT_EQ(response.key_block(), core_->ServerKey().block);
    EXPECT_EQ(response.public_key(), core_->server_public_key());
  }
}

}  // namespace
}  // namespace cmtp::keyserver
