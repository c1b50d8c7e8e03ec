// GrpcKeyDirectory, GrpcMailboxes and GrpcRelay against in-process gRPC services:
// translation both ways, errors, deadlines, and resumption on the caller's
// executor.
#include "services/gateway/grpc_backends.h"

#include <grpcpp/grpcpp.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/strand.hpp>
#include <asio/use_future.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "lib/rpc/server.h"

namespace cmtp::gateway {
namespace {

namespace v1 = cmtp::v1;
using std::chrono::milliseconds;

class FakeKeyServerService final : public v1::KeyServer::Service {
 public:
  grpc::Status GetServerKey(grpc::ServerContext*, const v1::GetServerKeyRequest*,
                            v1::KeyBlockResponse* response) override {
    response->set_key_block("server block");
    response->set_public_key("server pk");
    return grpc::Status::OK;
  }
  grpc::Status GetAccountKey(grpc::ServerContext*,
                             const v1::GetAccountKeyRequest* request,
                             v1::KeyBlockResponse* response) override {
    if (request->account() != "bob") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "no account " + request->account());
    }
    response->set_key_block("bob block");
    response->set_public_key("bob pk");
    return grpc::Status::OK;
  }
  grpc::Status Register(grpc::ServerContext*, const v1::RegisterRequest* request,
                        v1::RegisterResponse*) override {
    std::lock_guard<std::mutex> lock(mutex);
    last_register = *request;
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "registration is admin-only");
  }
  grpc::Status BeginLogin(grpc::ServerContext*, const v1::BeginLoginRequest* request,
                          v1::BeginLoginResponse* response) override {
    std::lock_guard<std::mutex> lock(mutex);
    last_login_peer = request->peer();
    response->set_xzibit_version(2);
    response->set_salt("0123456789abcdef");
    response->set_opslimit(3);
    response->set_memlimit(1 << 28);
    return grpc::Status::OK;
  }
  grpc::Status CompleteLogin(grpc::ServerContext*,
                             const v1::CompleteLoginRequest* request,
                             v1::CompleteLoginResponse* response) override {
    if (request->proof() != "good proof" || request->challenge() != "the challenge") {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "wrong password");
    }
    response->set_xzibit("xzibit");
    response->set_signature("signature");
    return grpc::Status::OK;
  }
  grpc::Status VerifyAuth(grpc::ServerContext*, const v1::VerifyAuthRequest*,
                          v1::VerifyAuthResponse*) override {
    // Slower than the client's deadline.
    std::this_thread::sleep_for(milliseconds(400));
    return grpc::Status::OK;
  }

  std::mutex mutex;
  v1::RegisterRequest last_register;
  std::string last_login_peer;
};

class FakeMailStoreService final : public v1::MailStore::Service {
 public:
  grpc::Status Put(grpc::ServerContext*, const v1::PutRequest* request,
                   v1::PutResponse* response) override {
    std::lock_guard<std::mutex> lock(mutex);
    last_put = *request;
    v1::MessageMeta* meta = response->mutable_meta();
    meta->set_message_id(request->message_id());
    meta->set_size(request->blob().size());
    meta->set_arrival_unix_ms(1234);
    meta->set_src_account(request->src_account());
    meta->set_src_domain(request->src_domain());
    return grpc::Status::OK;
  }
  grpc::Status List(grpc::ServerContext*, const v1::ListRequest* request,
                    v1::ListResponse* response) override {
    for (int i = 0; i < 2; ++i) {
      v1::MessageMeta* meta = response->add_messages();
      meta->set_message_id(request->mailbox() + std::to_string(i));
      meta->set_size(10 + i);
    }
    return grpc::Status::OK;
  }
  grpc::Status Get(grpc::ServerContext*, const v1::GetRequest* request,
                   v1::GetResponse* response) override {
    response->mutable_meta()->set_message_id(request->message_id());
    response->set_blob(std::string(3 << 20, 'b'));
    return grpc::Status::OK;
  }
  grpc::Status Delete(grpc::ServerContext*, const v1::DeleteRequest*,
                      v1::DeleteResponse*) override {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such message");
  }

  std::mutex mutex;
  v1::PutRequest last_put;
};

class FakeRelayService final : public v1::Relay::Service {
 public:
  grpc::Status Enqueue(grpc::ServerContext*, const v1::EnqueueRequest* request,
                       v1::EnqueueResponse* response) override {
    std::lock_guard<std::mutex> lock(mutex);
    ++single_calls;
    return EnqueueLocked(*request, *response);
  }
  // A relay from before EnqueueBatch (UNIMPLEMENTED) unless `serve_batches`.
  grpc::Status EnqueueBatch(grpc::ServerContext*, const v1::EnqueueBatchRequest* request,
                            v1::EnqueueBatchResponse* response) override {
    std::lock_guard<std::mutex> lock(mutex);
    if (!serve_batches) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "");
    ++batch_calls;
    for (const v1::EnqueueRequest& one : request->enqueues()) {
      v1::EnqueueOutcome* outcome = response->add_outcomes();
      grpc::Status status = EnqueueLocked(one, *outcome->mutable_response());
      outcome->set_code(status.error_code());
      outcome->set_error(status.error_message());
    }
    return grpc::Status::OK;
  }
  grpc::Status EnqueueLocked(const v1::EnqueueRequest& request,
                             v1::EnqueueResponse& response) {
    if (request.dst_domain() == "full.test") {
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "queue full");
    }
    last_enqueue = request;
    response.set_duplicate(request.message_id() == "seen");
    response.set_queued_unix_ms(4321);
    return grpc::Status::OK;
  }
  grpc::Status FetchKey(grpc::ServerContext*, const v1::FetchKeyRequest* request,
                        v1::FetchKeyResponse* response) override {
    if (request->domain() == "broken.test") {
      response->set_public_key("short");
      return grpc::Status::OK;
    }
    if (request->account() != "dave" && !request->account().empty()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no key for that account");
    }
    response->set_public_key(std::string(32, request->account().empty() ? 's' : 'd'));
    response->set_server_public_key(std::string(32, 's'));
    return grpc::Status::OK;
  }

  std::mutex mutex;
  v1::EnqueueRequest last_enqueue;
  bool serve_batches = false;
  int single_calls = 0;
  int batch_calls = 0;
};

class GatewayGrpcBackendsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.SetMaxReceiveMessageSize(64 << 20);
    builder.RegisterService(&keyserver_);
    builder.RegisterService(&mailstore_);
    builder.RegisterService(&relay_service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    auto channel = rpc::MakeChannel("127.0.0.1:" + std::to_string(port_), 64 << 20);
    keys_ = std::make_unique<GrpcKeyDirectory>(channel, milliseconds(150));
    mailboxes_ = std::make_unique<GrpcMailboxes>(channel, milliseconds(2000));
    relay_ = std::make_unique<GrpcRelay>(channel, milliseconds(2000));
  }
  void TearDown() override {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  }

  // Runs `work` as a coroutine on a strand of a fresh io_context until done.
  template <typename T>
  T Run(asio::awaitable<T> work) {
    asio::io_context io;
    std::future<T> result =
        asio::co_spawn(asio::make_strand(io), std::move(work), asio::use_future);
    io.run();
    return result.get();
  }

  int port_ = 0;
  FakeKeyServerService keyserver_;
  FakeMailStoreService mailstore_;
  FakeRelayService relay_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<GrpcKeyDirectory> keys_;
  std::unique_ptr<GrpcMailboxes> mailboxes_;
  std::unique_ptr<GrpcRelay> relay_;
};

TEST_F(GatewayGrpcBackendsTest, PutSendsTheDeliveryAndHandsTheBytesBack) {
  const std::string blob(2 << 20, 'm');
  Delivery delivery{
      "bob", "0123456789abcdef0123456789abcdef", blob, "alice", "hawaii.edu", ""};
  absl::StatusOr<MessageMeta> meta = Run(mailboxes_->Put(delivery));
  ASSERT_TRUE(meta.ok()) << meta.status();
  EXPECT_EQ(meta->message_id, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(meta->size, blob.size());
  EXPECT_EQ(meta->arrival_unix_ms, 1234);
  EXPECT_EQ(meta->src_account, "alice");
  EXPECT_TRUE(delivery.blob == blob);  // borrowed, returned intact
  std::lock_guard<std::mutex> lock(mailstore_.mutex);
  EXPECT_EQ(mailstore_.last_put.mailbox(), "bob");
  EXPECT_EQ(mailstore_.last_put.src_domain(), "hawaii.edu");
  EXPECT_TRUE(mailstore_.last_put.blob() == blob);
}

TEST_F(GatewayGrpcBackendsTest, EnqueueSendsTheMailAndHandsTheBytesBack) {
  const std::string message(2 << 20, 'q');
  OutboundMail mail{"0123456789abcdef0123456789abcdef",
                    message,
                    "bob",
                    "beta.test",
                    "alice",
                    "alpha.test",
                    "req-1"};
  absl::StatusOr<EnqueueReceipt> receipt = Run(relay_->Enqueue(mail));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_FALSE(receipt->duplicate);
  EXPECT_EQ(receipt->queued_unix_ms, 4321);
  EXPECT_TRUE(mail.message == message);  // borrowed, returned intact
  {
    std::lock_guard<std::mutex> lock(relay_service_.mutex);
    const v1::EnqueueRequest& sent = relay_service_.last_enqueue;
    EXPECT_EQ(sent.message_id(), "0123456789abcdef0123456789abcdef");
    EXPECT_TRUE(sent.message() == message);
    EXPECT_EQ(sent.dst_account(), "bob");
    EXPECT_EQ(sent.dst_domain(), "beta.test");
    EXPECT_EQ(sent.src_account(), "alice");
    EXPECT_EQ(sent.src_domain(), "alpha.test");
    EXPECT_EQ(sent.request_id(), "req-1");
  }
  OutboundMail again{"seen", "m", "bob", "beta.test", "alice", "alpha.test", ""};
  absl::StatusOr<EnqueueReceipt> duplicate = Run(relay_->Enqueue(again));
  ASSERT_TRUE(duplicate.ok());
  EXPECT_TRUE(duplicate->duplicate);

  OutboundMail refused{"x", "m", "bob", "full.test", "alice", "alpha.test", ""};
  absl::StatusOr<EnqueueReceipt> full = Run(relay_->Enqueue(refused));
  EXPECT_TRUE(absl::IsResourceExhausted(full.status()));
  EXPECT_EQ(full.status().message(), "queue full");
  EXPECT_EQ(refused.message, "m");

  // This relay has no EnqueueBatch: every mail went in an Enqueue of its own.
  std::lock_guard<std::mutex> lock(relay_service_.mutex);
  EXPECT_EQ(relay_service_.single_calls, 3);
  EXPECT_EQ(relay_service_.batch_calls, 0);
}

// A relay that has EnqueueBatch gets the mails in it (each answered on its
// own); only a mail over the batch byte limit goes in an Enqueue of its own.
TEST_F(GatewayGrpcBackendsTest, EnqueuesGoInBatchCallsEachWithItsOwnOutcome) {
  {
    std::lock_guard<std::mutex> lock(relay_service_.mutex);
    relay_service_.serve_batches = true;
  }
  OutboundMail mail{"0123456789abcdef0123456789abcdef",
                    "the message",
                    "bob",
                    "beta.test",
                    "alice",
                    "alpha.test",
                    "req-2"};
  absl::StatusOr<EnqueueReceipt> receipt = Run(relay_->Enqueue(mail));
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_FALSE(receipt->duplicate);
  EXPECT_EQ(receipt->queued_unix_ms, 4321);
  EXPECT_EQ(mail.message, "the message");  // borrowed, returned intact
  {
    std::lock_guard<std::mutex> lock(relay_service_.mutex);
    EXPECT_EQ(relay_service_.last_enqueue.request_id(), "req-2");
    EXPECT_EQ(relay_service_.last_enqueue.dst_domain(), "beta.test");
    EXPECT_EQ(relay_service_.last_enqueue.message(), "the message");
  }
  OutboundMail again{"seen", "m", "bob", "beta.test", "alice", "alpha.test", ""};
  absl::StatusOr<EnqueueReceipt> duplicate = Run(relay_->Enqueue(again));
  ASSERT_TRUE(duplicate.ok()) << duplicate.status();
  EXPECT_TRUE(duplicate->duplicate);
  OutboundMail refused{"x", "m", "bob", "full.test", "alice", "alpha.test", ""};
  absl::StatusOr<EnqueueReceipt> full = Run(relay_->Enqueue(refused));
  EXPECT_TRUE(absl::IsResourceExhausted(full.status())) << full.status();
  EXPECT_EQ(full.status().message(), "queue full");
  EXPECT_EQ(refused.message, "m");
  {
    std::lock_guard<std::mutex> lock(relay_service_.mutex);
    EXPECT_EQ(relay_service_.batch_calls, 3);
    EXPECT_EQ(relay_service_.single_calls, 0);
  }
  const std::string large((1 << 20) + 1, 'q');
  OutboundMail big{"y", large, "bob", "beta.test", "alice", "alpha.test", ""};
  ASSERT_TRUE(Run(relay_->Enqueue(big)).ok());
  EXPECT_TRUE(big.message == large);
  std::lock_guard<std::mutex> lock(relay_service_.mutex);
  EXPECT_EQ(relay_service_.batch_calls, 3);
  EXPECT_EQ(relay_service_.single_calls, 1);
}

TEST_F(GatewayGrpcBackendsTest, FetchKeyTranslatesAndChecksTheKey) {
  auto dave = Run(relay_->FetchKey("beta.test", "dave"));
  ASSERT_TRUE(dave.ok()) << dave.status();
  EXPECT_EQ(dave->public_key, std::string(32, 'd'));
  EXPECT_EQ(dave->server_public_key, std::string(32, 's'));
  auto server = Run(relay_->FetchKey("beta.test", ""));
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(server->public_key, std::string(32, 's'));
  auto nobody = Run(relay_->FetchKey("beta.test", "nobody"));
  EXPECT_TRUE(absl::IsNotFound(nobody.status()));
  auto broken = Run(relay_->FetchKey("broken.test", "dave"));
  EXPECT_TRUE(absl::IsUnavailable(broken.status())) << broken.status();
}

TEST_F(GatewayGrpcBackendsTest, UnreachableRelayIsNamed) {
  GrpcRelay nowhere(rpc::MakeChannel("127.0.0.1:1"), milliseconds(500));
  auto key = Run(nowhere.FetchKey("beta.test", "dave"));
  EXPECT_TRUE(absl::IsUnavailable(key.status())) << key.status();
  EXPECT_TRUE(std::string(key.status().message()).starts_with("relay unavailable: "));
}

TEST_F(GatewayGrpcBackendsTest, ListGetDelete) {
  auto listed = Run(mailboxes_->List("carol"));
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[1].message_id, "carol1");
  EXPECT_EQ((*listed)[1].size, 11u);

  auto fetched = Run(mailboxes_->Get("carol", "some-id"));
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->meta.message_id, "some-id");
  EXPECT_EQ(fetched->blob.size(), 3u << 20);

  absl::Status deleted = Run(mailboxes_->Delete("carol", "x"));
  EXPECT_TRUE(absl::IsNotFound(deleted));
  EXPECT_EQ(deleted.message(), "no such message");
}

TEST_F(GatewayGrpcBackendsTest, KeyLookupsAndTheirErrorsPassThrough) {
  auto server = Run(keys_->GetServerKey());
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(server->wire_bytes, "server block");
  auto bob = Run(keys_->GetAccountKey("bob"));
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(bob->public_key, "bob pk");
  auto carol = Run(keys_->GetAccountKey("carol"));
  EXPECT_TRUE(absl::IsNotFound(carol.status()));
  EXPECT_EQ(carol.status().message(), "no account carol");
}

TEST_F(GatewayGrpcBackendsTest, LoginAndRegisterTranslate) {
  auto start = Run(keys_->BeginLogin("carol", "192.0.2.7"));
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(start->xzibit_version, 2u);
  EXPECT_EQ(start->salt, "0123456789abcdef");
  EXPECT_EQ(start->opslimit, 3u);
  EXPECT_EQ(start->memlimit, 1u << 28);
  {
    std::lock_guard<std::mutex> lock(keyserver_.mutex);
    EXPECT_EQ(keyserver_.last_login_peer, "192.0.2.7");
  }

  auto released =
      Run(keys_->CompleteLogin({"carol", "the challenge", "good proof", "p"}));
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ(released->xzibit, "xzibit");
  auto refused = Run(keys_->CompleteLogin({"carol", "the challenge", "bad proof", "p"}));
  EXPECT_TRUE(absl::IsUnauthenticated(refused.status()));
  EXPECT_EQ(refused.status().message(), "wrong password");

  absl::Status registered = Run(
      keys_->Register({"dave", "hawaii.edu", "invite", "pk", "login pk", "xz", "sig"}));
  EXPECT_TRUE(absl::IsPermissionDenied(registered));
  std::lock_guard<std::mutex> lock(keyserver_.mutex);
  EXPECT_EQ(keyserver_.last_register.account(), "dave");
  EXPECT_EQ(keyserver_.last_register.invite_token(), "invite");
  EXPECT_EQ(keyserver_.last_register.login_public_key(), "login pk");
  EXPECT_EQ(keyserver_.last_register.signature(), "sig");
}

TEST_F(GatewayGrpcBackendsTest, SlowCallsHitTheDeadline) {
  const auto start = std::chrono::steady_clock::now();
  absl::Status verified = Run(keys_->VerifyAuth({"carol", "c", "p", "peer"}));
  EXPECT_TRUE(absl::IsUnavailable(verified)) << verified;
  EXPECT_TRUE(std::string(verified.message()).starts_with("keyserver unavailable: "))
      << verified;
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(390));
}

TEST_F(GatewayGrpcBackendsTest, UnreachableServiceIsUnavailable) {
  GrpcMailboxes nowhere(rpc::MakeChannel("127.0.0.1:1"), milliseconds(500));
  auto listed = Run(nowhere.List("bob"));
  EXPECT_TRUE(absl::IsUnavailable(listed.status())) << listed.status();
  EXPECT_TRUE(
      std::string(listed.status().message()).starts_with("mailstore unavailable: "));
}

TEST_F(GatewayGrpcBackendsTest, ResumesOnTheCallersStrand) {
  asio::io_context io;
  auto strand = asio::make_strand(io);
  auto check = [&]() -> asio::awaitable<bool> {
    auto key = co_await keys_->GetServerKey();
    co_return key.ok() && strand.running_in_this_thread();
  };
  std::future<bool> on_strand = asio::co_spawn(strand, check(), asio::use_future);
  // Several threads run the context: only the strand keeps the coroutine
  // on one of them at a time, and it must be where it resumes.
  std::thread helper([&io] { io.run(); });
  io.run();
  helper.join();
  EXPECT_TRUE(on_strand.get());
}

}  // namespace
}  // namespace cmtp::gateway
