// rpc::RunServer with its observability hooks: /metrics on the port asked,
// the interceptor on every RPC, JSON lines for start, each RPC and stop.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cmtp/v1/keyserver.grpc.pb.h"
#include "lib/observability/request_id.h"
#include "lib/rpc/server.h"
#include "tests/unit/observability/captured_lines.h"
#include "tests/unit/observability/json_line.h"
#include "tests/unit/observability/metrics_scrape.h"
#include "tests/unit/observability/recording_key_server.h"

namespace cmtp {
namespace {

using ::cmtp::testing::CapturedLines;
using ::cmtp::testing::HttpGet;
using ::cmtp::testing::JsonLine;
using ::cmtp::testing::ParseJsonLine;
using ::cmtp::testing::ParseSamples;
using ::cmtp::testing::SampleValue;
using ::testing::ElementsAre;

// RunServer waits for SIGTERM with sigwait(); the test sends it to the whole
// process, so every thread must have it blocked, including those gRPC and
// GoogleTest start: blocked here, before main() starts any.
const bool kShutdownSignalsBlocked = [] {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return pthread_sigmask(SIG_BLOCK, &signals, nullptr) == 0;
}();

std::vector<std::string> Messages(const std::vector<JsonLine>& lines) {
  std::vector<std::string> messages;
  for (const JsonLine& line : lines) messages.push_back(line.fields.at("msg").text);
  return messages;
}

TEST(RunServerTest, ServesMetricsAndLogsJsonUntilSigterm) {
  ASSERT_TRUE(kShutdownSignalsBlocked);
  CapturedLines captured;
  auto logger = std::make_shared<observability::Logger>(
      "testsvc", observability::LogFormat::kJson, observability::LogLevel::kInfo,
      captured.Sink());
  auto metrics = std::make_shared<observability::Metrics>();
  // A metric of the service's own, served with the gRPC ones.
  metrics->Counter("cmtp_test_own_total", "the service's own").With({}).Increment();
  testing::RecordingKeyServer service(*logger);

  std::promise<int> grpc_port;
  std::promise<int> metrics_port;
  rpc::ServerOptions options;
  options.service_name = "testsvc";
  options.listen_address = "127.0.0.1:0";
  options.metrics_listen_address = "127.0.0.1:0";
  options.metrics = metrics;
  options.logger = logger;
  options.on_listening = [&](int port) { grpc_port.set_value(port); };
  options.on_metrics_listening = [&](int port) { metrics_port.set_value(port); };
  std::promise<absl::Status> finished;
  std::thread server([&] { finished.set_value(rpc::RunServer(options, {&service})); });

  const int port = grpc_port.get_future().get();
  const int scrape_port = metrics_port.get_future().get();
  ASSERT_GT(port, 0);
  ASSERT_GT(scrape_port, 0);
  EXPECT_EQ(metrics->port(), scrape_port);

  auto stub =
      v1::KeyServer::NewStub(rpc::MakeChannel("127.0.0.1:" + std::to_string(port)));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  observability::AttachRequestId(context, "run-server-1");
  v1::GetAccountKeyRequest request;
  request.set_account("known");
  v1::KeyBlockResponse response;
  ASSERT_TRUE(stub->GetAccountKey(&context, request, &response).ok());

  std::optional<testing::HttpResponse> scraped = HttpGet(scrape_port, "/metrics");
  ASSERT_TRUE(scraped.has_value());
  std::optional<std::vector<testing::MetricSample>> samples = ParseSamples(scraped->body);
  ASSERT_TRUE(samples.has_value());
  EXPECT_EQ(SampleValue(*samples, "cmtp_grpc_server_requests_total",
                        {{"service", "cmtp.v1.KeyServer"},
                         {"method", "GetAccountKey"},
                         {"code", "OK"}}),
            1);
  EXPECT_EQ(SampleValue(*samples, "cmtp_test_own_total", {}), 1);

  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  std::future<absl::Status> result = finished.get_future();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_TRUE(result.get().ok());
  server.join();
  // /metrics stopped with the server.
  EXPECT_EQ(metrics->port(), 0);
  EXPECT_FALSE(HttpGet(scrape_port, "/metrics").has_value());

  std::vector<JsonLine> lines;
  for (const std::string& line : captured.lines()) {
    std::optional<JsonLine> parsed = ParseJsonLine(line);
    ASSERT_TRUE(parsed.has_value()) << line;
    EXPECT_EQ(parsed->fields["service"].text, "testsvc");
    lines.push_back(*parsed);
  }
  EXPECT_THAT(Messages(lines),
              ElementsAre("serving metrics", "listening", "looking up an account", "rpc",
                          "shutting down", "stopped"));
  EXPECT_EQ(lines[0].fields["port"].text, std::to_string(scrape_port));
  EXPECT_EQ(lines[1].fields["port"].text, std::to_string(port));
  EXPECT_EQ(lines[2].fields["request_id"].text, "run-server-1");
  EXPECT_EQ(lines[3].fields["request_id"].text, "run-server-1");
  EXPECT_EQ(lines[4].fields["signal"].text, std::to_string(SIGTERM));
}

TEST(RunServerTest, MetricsPortTakenFailsBeforeServing) {
  ASSERT_TRUE(kShutdownSignalsBlocked);
  observability::Metrics occupant;
  absl::StatusOr<int> taken = occupant.Serve("127.0.0.1:0");
  ASSERT_TRUE(taken.ok()) << taken.status();

  CapturedLines captured;
  auto logger = std::make_shared<observability::Logger>(
      "testsvc", observability::LogFormat::kJson, observability::LogLevel::kInfo,
      captured.Sink());
  testing::RecordingKeyServer service(*logger);
  bool listened = false;
  rpc::ServerOptions options;
  options.service_name = "testsvc";
  options.listen_address = "127.0.0.1:0";
  options.metrics_listen_address = "127.0.0.1:" + std::to_string(*taken);
  options.logger = logger;
  options.on_listening = [&](int) { listened = true; };
  // Returns at once: nothing to wait for.
  absl::Status status = rpc::RunServer(options, {&service});
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_NE(std::string(status.message()).find("testsvc"), std::string::npos) << status;
  EXPECT_FALSE(listened);
}

}  // namespace
}  // namespace cmtp
