// The cmtp-relay binary: its gRPC API as the gateway and cmtpctl use it,
// delivery to a real beta.test, a kill -9 in the middle of a delivery, and a
// clean exit on SIGTERM.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "cmtp/v1/relay.grpc.pb.h"
#include "lib/rpc/server.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"
#include "tests/unit/relay/relay_test_env.h"

namespace cmtp::relay {
namespace {

using testing::DomainUnderTest;
using testing::ForeignMail;

const std::string kBinary = std::string(CMTP_BINARY_DIR) + "/services/relay/cmtp-relay";

class RelayBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alpha_ = std::make_unique<DomainUnderTest>(
        "alpha.test", cmtp::testing::MakeTempDir("cmtp-relay-alpha-"));
    beta_ = std::make_unique<DomainUnderTest>(
        "beta.test", cmtp::testing::MakeTempDir("cmtp-relay-beta-"));
    ASSERT_TRUE(alpha_->Start()) << alpha_->error();
    ASSERT_TRUE(beta_->Start()) << beta_->error();
    ASSERT_TRUE(beta_->StartGateway()) << beta_->error();
    absl::StatusOr<crypto::KeyPair> alice = alpha_->Register("alice");
    ASSERT_TRUE(alice.ok()) << alice.status();
    alice_ = *std::move(alice);
    absl::StatusOr<crypto::KeyPair> bob = beta_->Register("bob");
    ASSERT_TRUE(bob.ok()) << bob.status();
    bob_ = *std::move(bob);
    ASSERT_TRUE(redis_.Start());
    relay_port_ = cmtp::testing::FreePort();
  }

  // Starts cmtp-relay for alpha.test (same port every time); false on failure.
  bool StartRelay(const std::vector<std::string>& extra = {}) {
    const std::string port_file = alpha_->dir() + "/relay.port";
    std::remove(port_file.c_str());
    std::vector<std::string> argv = {kBinary,
                                     "--listen",
                                     Address(),
                                     "--port-file",
                                     port_file,
                                     "--redis",
                                     redis_.address(),
                                     "--domain",
                                     "alpha.test",
                                     "--server-key-file",
                                     alpha_->dir() + "/server.key",
                                     "--keyserver",
                                     alpha_->keyserver_address(),
                                     "--mailstore",
                                     alpha_->mailstore_address(),
                                     "--retry-schedule-seconds",
                                     "1",
                                     "--poll-interval-ms",
                                     "50"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    if (!relay_.Start(argv, {{"CMTP_PEERS", "beta.test=" + beta_->gateway_address()}},
                      alpha_->dir() + "/relay.log")) {
      return false;
    }
    return cmtp::testing::WaitForPortFile(port_file) == relay_port_;
  }

  std::string Address() const { return "127.0.0.1:" + std::to_string(relay_port_); }
  std::unique_ptr<v1::Relay::Stub> Stub() {
    return v1::Relay::NewStub(rpc::MakeChannel(Address()));
  }
  static void Deadline(grpc::ClientContext& context) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
  }

  ForeignMail MailToBob(const std::string& text) {
    absl::StatusOr<ForeignMail> mail =
        testing::MakeForeignMail(*alpha_, "alice", alice_, "bob@beta.test",
                                 bob_.public_key, text, testing::RealWallClockMs());
    EXPECT_TRUE(mail.ok()) << mail.status();
    return mail.ok() ? *std::move(mail) : ForeignMail();
  }

  static v1::EnqueueRequest ToRequest(const ForeignMail& mail) {
    v1::EnqueueRequest request;
    request.set_message_id(mail.message_id);
    request.set_message(mail.bytes);
    request.set_dst_account(mail.dst_account);
    request.set_dst_domain(mail.dst_domain);
    request.set_src_account(mail.src_account);
    request.set_src_domain(mail.src_domain);
    request.set_request_id("binary-test");
    return request;
  }

  grpc::Status Enqueue(const ForeignMail& mail, v1::EnqueueResponse* response) {
    grpc::ClientContext context;
    Deadline(context);
    return Stub()->Enqueue(&context, ToRequest(mail), response);
  }

  size_t CountForBob(const std::string& id) {
    absl::StatusOr<std::vector<std::string>> ids = beta_->MailboxIds("bob");
    return ids.ok() ? std::count(ids->begin(), ids->end(), id) : 0;
  }

  std::string RelayLog() const {
    std::ifstream file(alpha_->dir() + "/relay.log");
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }

  std::unique_ptr<DomainUnderTest> alpha_;
  std::unique_ptr<DomainUnderTest> beta_;
  crypto::KeyPair alice_;
  crypto::KeyPair bob_;
  cmtp::testing::RedisServer redis_;
  cmtp::testing::Process relay_;
  int relay_port_ = 0;
};

TEST_F(RelayBinaryTest, QueuesDeliversReportsAndStopsCleanly) {
  ASSERT_TRUE(StartRelay()) << RelayLog();
  const ForeignMail mail = MailToBob("through the binary\n");
  v1::EnqueueResponse first;
  grpc::Status status = Enqueue(mail, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(first.duplicate());
  EXPECT_GT(first.queued_unix_ms(), 0);

  ASSERT_TRUE(cmtp::testing::WaitFor([&] { return CountForBob(mail.message_id) == 1; },
                                     std::chrono::seconds(15)))
      << RelayLog();
  auto stub = Stub();
  v1::RelayStatsResponse stats;
  ASSERT_TRUE(cmtp::testing::WaitFor([&] {
    grpc::ClientContext context;
    Deadline(context);
    return stub->Stats(&context, v1::RelayStatsRequest(), &stats).ok() &&
           stats.deliveries_total() == 1;
  }));
  EXPECT_EQ(stats.queue_depth(), 0u);
  EXPECT_EQ(stats.delivery_attempts_total(), 1u);
  ASSERT_EQ(stats.latency_bucket_upper_seconds_size(), 10);
  ASSERT_EQ(stats.latency_bucket_counts_size(), 10);
  EXPECT_TRUE(std::isinf(stats.latency_bucket_upper_seconds(9)));
  EXPECT_EQ(stats.latency_bucket_counts(9), 1u);

  {
    grpc::ClientContext context;
    Deadline(context);
    v1::ListPinsResponse pins;
    ASSERT_TRUE(stub->ListPins(&context, v1::ListPinsRequest(), &pins).ok());
    ASSERT_EQ(pins.pins_size(), 1);
    EXPECT_EQ(pins.pins(0).domain(), "beta.test");
    EXPECT_EQ(pins.pins(0).server_public_key(), beta_->server_key().public_key);
  }
  {
    grpc::ClientContext context;
    Deadline(context);
    v1::FetchKeyRequest request;
    request.set_domain("beta.test");
    request.set_account("bob");
    v1::FetchKeyResponse key;
    ASSERT_TRUE(stub->FetchKey(&context, request, &key).ok());
    EXPECT_EQ(key.public_key(), bob_.public_key);
    EXPECT_EQ(key.server_public_key(), beta_->server_key().public_key);
  }
  {
    grpc::ClientContext context;
    Deadline(context);
    v1::GetQueuedRequest request;
    request.set_message_id(mail.message_id);
    v1::QueuedMessage queued;
    EXPECT_EQ(stub->GetQueued(&context, request, &queued).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }

  EXPECT_EQ(relay_.Stop(SIGTERM), 0) << RelayLog();
}

TEST_F(RelayBinaryTest, RefusesMessagesThatAreNotWhatTheRequestSays) {
  ASSERT_TRUE(StartRelay()) << RelayLog();
  ForeignMail mail = MailToBob("tampered\n");
  mail.dst_account = "mallory";
  v1::EnqueueResponse response;
  EXPECT_EQ(Enqueue(mail, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  mail = MailToBob("wrong id\n");
  mail.message_id = std::string(32, '0');
  EXPECT_EQ(Enqueue(mail, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  mail = MailToBob("not from us\n");
  mail.bytes = "garbage";
  EXPECT_EQ(Enqueue(mail, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RelayBinaryTest, EnqueueBatchAnswersEachMessageAndRefusesAnOversizedBatch) {
  ASSERT_TRUE(StartRelay({"--max-batch-enqueues", "3"})) << RelayLog();
  const ForeignMail good = MailToBob("batched\n");
  ForeignMail tampered = MailToBob("tampered\n");
  tampered.dst_account = "mallory";
  auto batch = [](const std::vector<const ForeignMail*>& mails) {
    v1::EnqueueBatchRequest request;
    for (const ForeignMail* mail : mails) *request.add_enqueues() = ToRequest(*mail);
    return request;
  };
  {
    v1::EnqueueBatchResponse response;
    grpc::ClientContext context;
    Deadline(context);
    const grpc::Status status =
        Stub()->EnqueueBatch(&context, batch({&good, &good, &good, &good}), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("1 to 3"), std::string::npos)
        << status.error_message();
  }
  v1::EnqueueBatchResponse response;
  grpc::ClientContext context;
  Deadline(context);
  ASSERT_TRUE(
      Stub()->EnqueueBatch(&context, batch({&good, &tampered, &good}), &response).ok());
  ASSERT_EQ(response.outcomes_size(), 3);
  EXPECT_EQ(response.outcomes(0).code(), grpc::StatusCode::OK);
  EXPECT_FALSE(response.outcomes(0).response().duplicate());
  EXPECT_GT(response.outcomes(0).response().queued_unix_ms(), 0);
  EXPECT_EQ(response.outcomes(1).code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(response.outcomes(1).error().find("mallory"), std::string::npos)
      << response.outcomes(1).error();
  EXPECT_EQ(response.outcomes(2).code(), grpc::StatusCode::OK);
  EXPECT_TRUE(response.outcomes(2).response().duplicate());
  ASSERT_TRUE(cmtp::testing::WaitFor([&] { return CountForBob(good.message_id) == 1; },
                                     std::chrono::seconds(20)));
  EXPECT_EQ(CountForBob(tampered.message_id), 0u);
}

TEST_F(RelayBinaryTest, QueuedWhileDownListedAndDroppedWithANotice) {
  beta_->StopGateway();
  ASSERT_TRUE(StartRelay()) << RelayLog();
  const ForeignMail mail = MailToBob("nobody home\n");
  v1::EnqueueResponse response;
  ASSERT_TRUE(Enqueue(mail, &response).ok());
  ASSERT_TRUE(Enqueue(mail, &response).ok());
  EXPECT_TRUE(response.duplicate());
  auto stub = Stub();
  v1::QueuedMessage queued;
  ASSERT_TRUE(cmtp::testing::WaitFor([&] {
    grpc::ClientContext context;
    Deadline(context);
    v1::GetQueuedRequest request;
    request.set_message_id(mail.message_id);
    return stub->GetQueued(&context, request, &queued).ok() && queued.attempts() >= 1;
  })) << RelayLog();
  EXPECT_EQ(queued.dst_account(), "bob");
  EXPECT_EQ(queued.size(), mail.bytes.size());
  EXPECT_NE(queued.last_error().find("cannot reach beta.test"), std::string::npos)
      << queued.last_error();
  {
    grpc::ClientContext context;
    Deadline(context);
    v1::ListQueueRequest request;
    request.set_domain("beta.test");
    v1::ListQueueResponse listing;
    ASSERT_TRUE(stub->ListQueue(&context, request, &listing).ok());
    ASSERT_EQ(listing.messages_size(), 1);
    EXPECT_EQ(listing.messages(0).message_id(), mail.message_id);
    EXPECT_EQ(listing.depth(), 1u);
  }
  {
    grpc::ClientContext context;
    Deadline(context);
    v1::DropRequest request;
    request.set_message_id(mail.message_id);
    request.set_notify_sender(true);
    v1::DropResponse dropped;
    grpc::Status status = stub->Drop(&context, request, &dropped);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  absl::StatusOr<std::vector<std::string>> notices = alpha_->MailboxIds("alice");
  ASSERT_TRUE(notices.ok()) << notices.status();
  ASSERT_EQ(notices->size(), 1u);
  absl::StatusOr<std::string> blob = alpha_->MailboxBlob("alice", notices->front());
  ASSERT_TRUE(blob.ok());
  absl::StatusOr<crypto::DecodedInner> inner = testing::OpenInner(*blob, alice_);
  ASSERT_TRUE(inner.ok()) << inner.status();
  EXPECT_TRUE(crypto::VerifyInner(*inner, alpha_->server_key().public_key));
  EXPECT_NE(inner->message.text.find(mail.message_id), std::string::npos);
}

TEST_F(RelayBinaryTest, ARelayKilledMidDeliveryLosesNothingAndTheMessageArrivesOnce) {
  ASSERT_TRUE(StartRelay({"--lease-seconds", "2", "--io-timeout-ms", "20000"}))
      << RelayLog();
  // A first message leaves an open connection to beta in the relay's pool.
  const ForeignMail warm_up = MailToBob("opens the connection\n");
  v1::EnqueueResponse response;
  ASSERT_TRUE(Enqueue(warm_up, &response).ok());
  ASSERT_TRUE(cmtp::testing::WaitFor([&] {
    return CountForBob(warm_up.message_id) == 1;
  })) << RelayLog();

  // beta hangs: the relay sends the next MAIL on that connection and waits
  // for a reply that does not come; it is killed while it waits.
  beta_->PauseGateway();
  const ForeignMail mail = MailToBob("sent through a dying relay\n");
  ASSERT_TRUE(Enqueue(mail, &response).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  relay_.Kill();
  // beta wakes up and stores what the dead relay had sent.
  beta_->ResumeGateway();
  ASSERT_TRUE(cmtp::testing::WaitFor([&] { return CountForBob(mail.message_id) == 1; }));

  // The new relay finds the message once its lease has ended, delivers it
  // again, and beta keeps one copy.
  ASSERT_TRUE(StartRelay({"--lease-seconds", "2"})) << RelayLog();
  auto stub = Stub();
  ASSERT_TRUE(cmtp::testing::WaitFor(
      [&] {
        grpc::ClientContext context;
        Deadline(context);
        v1::RelayStatsResponse stats;
        return stub->Stats(&context, v1::RelayStatsRequest(), &stats).ok() &&
               stats.queue_depth() == 0 && stats.deliveries_total() == 2;
      },
      std::chrono::seconds(20)))
      << RelayLog();
  EXPECT_EQ(CountForBob(mail.message_id), 1u);
  EXPECT_EQ(relay_.Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace cmtp::relay
