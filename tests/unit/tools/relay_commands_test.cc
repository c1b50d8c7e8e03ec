// cmtpctl queue / pins / relay-stats against an in-process fake Relay
// service: what each command asks and how it shows the answer.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <mutex>
#include <sstream>

#include "cmtp/v1/relay.grpc.pb.h"
#include "lib/crypto/sodium.h"
#include "tests/support/ports.h"
#include "tools/cmtp/exit_codes.h"
#include "tools/cmtpctl/ctl_cli.h"

namespace cmtp::ctl {
namespace {

const std::string kId = "0123456789abcdef0123456789abcdef";

class FakeRelay final : public v1::Relay::Service {
 public:
  grpc::Status ListQueue(grpc::ServerContext*, const v1::ListQueueRequest* request,
                         v1::ListQueueResponse* response) override {
    std::lock_guard<std::mutex> lock(mutex);
    last_list = *request;
    v1::QueuedMessage* message = response->add_messages();
    message->set_message_id(kId);
    message->set_src_account("alice");
    message->set_src_domain("alpha.test");
    message->set_dst_account("bob");
    message->set_dst_domain("beta.test");
    message->set_size(1234);
    message->set_attempts(3);
    message->set_next_attempt_unix_ms(1453370400000);
    message->set_last_error("connection refused");
    response->set_depth(7);
    return grpc::Status::OK;
  }
  grpc::Status GetQueued(grpc::ServerContext*, const v1::GetQueuedRequest* request,
                         v1::QueuedMessage* message) override {
    if (request->message_id() != kId) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "not queued");
    }
    message->set_message_id(kId);
    message->set_dst_account("bob");
    message->set_dst_domain("beta.test");
    message->set_attempts(2);
    return grpc::Status::OK;
  }
  grpc::Status RetryNow(grpc::ServerContext*, const v1::RetryNowRequest* request,
                        v1::RetryNowResponse* response) override {
    std::lock_guard<std::mutex> lock(mutex);
    last_retry = *request;
    response->set_rescheduled(request->message_id().empty() ? 5 : 1);
    return grpc::Status::OK;
  }
  grpc::Status Drop(grpc::ServerContext*, const v1::DropRequest* request,
                    v1::DropResponse*) override {
    std::lock_guard<std::mutex> lock(mutex);
    last_drop = *request;
    return grpc::Status::OK;
  }
  grpc::Status ListPins(grpc::ServerContext*, const v1::ListPinsRequest*,
                        v1::ListPinsResponse* response) override {
    v1::Pin* pin = response->add_pins();
    pin->set_domain("beta.test");
    pin->set_server_public_key(std::string(32, '\x11'));
    pin->set_pinned_unix_ms(1453370400000);
    pin->set_refused_public_key(std::string(32, '\x22'));
    pin->set_refused_unix_ms(1453370460000);
    pin->set_refusals(4);
    v1::Pin* calm = response->add_pins();
    calm->set_domain("gamma.test");
    calm->set_server_public_key(std::string(32, '\x33'));
    return grpc::Status::OK;
  }
  grpc::Status Repin(grpc::ServerContext*, const v1::RepinRequest* request,
                     v1::RepinResponse*) override {
    std::lock_guard<std::mutex> lock(mutex);
    repins.push_back(*request);
    return grpc::Status::OK;
  }
  grpc::Status Stats(grpc::ServerContext*, const v1::RelayStatsRequest*,
                     v1::RelayStatsResponse* response) override {
    response->set_queue_depth(2);
    response->set_delivery_attempts_total(10);
    response->set_deliveries_total(6);
    response->set_delivery_failures_total(4);
    response->set_bounces_total(1);
    response->set_pin_refusals_total(3);
    response->set_key_fetches_total(8);
    response->add_latency_bucket_upper_seconds(0.5);
    response->add_latency_bucket_counts(5);
    response->add_latency_bucket_upper_seconds(std::numeric_limits<double>::infinity());
    response->add_latency_bucket_counts(6);
    response->set_latency_sum_seconds(2.5);
    return grpc::Status::OK;
  }

  std::mutex mutex;
  v1::ListQueueRequest last_list;
  v1::RetryNowRequest last_retry;
  v1::DropRequest last_drop;
  std::vector<v1::RepinRequest> repins;
};

class RelayCommandsTest : public ::testing::Test {
 protected:
  RelayCommandsTest() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&relay_);
    server_ = builder.BuildAndStart();
  }
  ~RelayCommandsTest() override { server_->Shutdown(); }

  int Run(std::vector<std::string> args, bool with_address = true) {
    if (with_address) {
      args.insert(args.end(), {"--relay", "127.0.0.1:" + std::to_string(port_)});
    }
    std::istringstream in;
    std::ostringstream out;
    std::ostringstream err;
    cli::Terminal terminal{in, out, err};
    const int code = RunCtl(args, terminal);
    out_ = out.str();
    err_ = err.str();
    return code;
  }

  int port_ = 0;
  FakeRelay relay_;
  std::unique_ptr<grpc::Server> server_;
  std::string out_;
  std::string err_;
};

TEST_F(RelayCommandsTest, QueueListShowsEachMessageAndTheDepth) {
  ASSERT_EQ(Run({"queue", "list", "--domain", "beta.test", "--limit", "10"}),
            cli::kExitOk)
      << err_;
  EXPECT_EQ(out_, kId +
                      "  alice@alpha.test -> bob@beta.test  1234 bytes  attempts 3  next "
                      "2016-01-21T10:00:00Z  last error: connection refused\n");
  EXPECT_EQ(err_, "1 listed, 7 queued\n");
  EXPECT_EQ(relay_.last_list.domain(), "beta.test");
  EXPECT_EQ(relay_.last_list.limit(), 10u);
}

TEST_F(RelayCommandsTest, QueueShowAndItsErrors) {
  ASSERT_EQ(Run({"queue", "show", kId}), cli::kExitOk) << err_;
  EXPECT_NE(out_.find("to: bob@beta.test\n"), std::string::npos) << out_;
  EXPECT_NE(out_.find("attempts: 2\n"), std::string::npos) << out_;
  EXPECT_EQ(Run({"queue", "show", "ffff"}), cli::kExitRefused);
  EXPECT_NE(err_.find("GetQueued: not queued"), std::string::npos) << err_;
}

TEST_F(RelayCommandsTest, QueueRetryOneOrAll) {
  ASSERT_EQ(Run({"queue", "retry"}), cli::kExitOk) << err_;
  EXPECT_EQ(out_, "rescheduled 5\n");
  EXPECT_EQ(relay_.last_retry.message_id(), "");
  ASSERT_EQ(Run({"queue", "retry", kId}), cli::kExitOk) << err_;
  EXPECT_EQ(out_, "rescheduled 1\n");
  EXPECT_EQ(relay_.last_retry.message_id(), kId);
}

TEST_F(RelayCommandsTest, QueueDropWithAndWithoutNotice) {
  ASSERT_EQ(Run({"queue", "drop", kId}), cli::kExitOk) << err_;
  EXPECT_FALSE(relay_.last_drop.notify_sender());
  ASSERT_EQ(Run({"queue", "drop", kId, "--notify"}), cli::kExitOk) << err_;
  EXPECT_TRUE(relay_.last_drop.notify_sender());
  EXPECT_EQ(relay_.last_drop.message_id(), kId);
  EXPECT_EQ(Run({"queue", "drop"}), cli::kExitUsage);
}

TEST_F(RelayCommandsTest, PinsListShowsRefusals) {
  ASSERT_EQ(Run({"pins", "list"}), cli::kExitOk) << err_;
  const std::string expected =
      "beta.test  pinned " + crypto::ToHex(std::string(32, '\x11')) +
      "  since 2016-01-21T10:00:00Z\n"
      "  REFUSED " +
      crypto::ToHex(std::string(32, '\x22')) +
      "  last at 2016-01-21T10:01:00Z  (4 refusals)\n"
      "gamma.test  pinned " +
      crypto::ToHex(std::string(32, '\x33')) + "  since 1970-01-01T00:00:00Z\n";
  EXPECT_EQ(out_, expected);
  EXPECT_EQ(err_, "2 pins\n");
}

TEST_F(RelayCommandsTest, RepinTakesTheRefusedKeyAnExplicitOneOrForgets) {
  ASSERT_EQ(Run({"pins", "repin", "beta.test"}), cli::kExitOk) << err_;
  const std::string explicit_hex = crypto::ToHex(std::string(32, '\x44'));
  ASSERT_EQ(Run({"pins", "repin", "beta.test", "--key", explicit_hex}), cli::kExitOk)
      << err_;
  ASSERT_EQ(Run({"pins", "repin", "beta.test", "--forget"}), cli::kExitOk) << err_;
  EXPECT_EQ(out_, "forgot the pin of beta.test; the next contact pins anew\n");
  ASSERT_EQ(relay_.repins.size(), 3u);
  EXPECT_EQ(relay_.repins[0].server_public_key(), std::string(32, '\x22'));
  EXPECT_EQ(relay_.repins[1].server_public_key(), std::string(32, '\x44'));
  EXPECT_EQ(relay_.repins[2].server_public_key(), "");

  // gamma.test was never refused: nothing to take.
  EXPECT_EQ(Run({"pins", "repin", "gamma.test"}), cli::kExitRefused);
  EXPECT_EQ(Run({"pins", "repin", "beta.test", "--key", "abcd"}), cli::kExitUsage);
  EXPECT_EQ(Run({"pins", "repin", "beta.test", "--key", explicit_hex, "--forget"}),
            cli::kExitUsage);
  EXPECT_EQ(relay_.repins.size(), 3u);
}

TEST_F(RelayCommandsTest, RelayStatsInPrometheusFormat) {
  ASSERT_EQ(Run({"relay-stats"}), cli::kExitOk) << err_;
  for (const char* line :
       {"cmtp_relay_queue_depth 2\n", "cmtp_relay_delivery_attempts_total 10\n",
        "cmtp_relay_deliveries_total 6\n", "cmtp_relay_delivery_failures_total 4\n",
        "cmtp_relay_bounces_total 1\n", "cmtp_relay_pin_refusals_total 3\n",
        "cmtp_relay_key_fetches_total 8\n",
        "cmtp_relay_delivery_latency_seconds_bucket{le=\"0.5\"} 5\n",
        "cmtp_relay_delivery_latency_seconds_bucket{le=\"+Inf\"} 6\n",
        "cmtp_relay_delivery_latency_seconds_sum 2.5\n",
        "cmtp_relay_delivery_latency_seconds_count 6\n"}) {
    EXPECT_NE(out_.find(line), std::string::npos) << "missing " << line << " in\n"
                                                  << out_;
  }
}

TEST_F(RelayCommandsTest, TheAddressComesFromTheStateFolder) {
  const std::string dir = cmtp::testing::MakeTempDir("cmtpctl-relay");
  std::ofstream(dir + "/relay.port") << port_ << "\n";
  ASSERT_EQ(Run({"queue", "retry", "--state-dir", dir}, /*with_address=*/false),
            cli::kExitOk)
      << err_;
  EXPECT_EQ(out_, "rescheduled 5\n");
  EXPECT_EQ(Run({"relay-stats"}, /*with_address=*/false), cli::kExitUsage);
  EXPECT_NE(err_.find("--relay"), std::string::npos) << err_;
}

}  // namespace
}  // namespace cmtp::ctl
