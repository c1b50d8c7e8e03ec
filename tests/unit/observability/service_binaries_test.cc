// The real cmtp-keyserver and cmtp-mailstore binaries with --metrics-listen:
// /metrics scraped over HTTP, the stderr log read back line by line.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cmtp/v1/keyserver.grpc.pb.h"
#include "cmtp/v1/mailstore.grpc.pb.h"
#include "lib/observability/request_id.h"
#include "lib/rpc/server.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"
#include "tests/unit/observability/json_line.h"
#include "tests/unit/observability/metrics_scrape.h"

namespace cmtp {
namespace {

using ::cmtp::testing::HttpGet;
using ::cmtp::testing::HttpResponse;
using ::cmtp::testing::JsonLine;
using ::cmtp::testing::MetricSample;
using ::cmtp::testing::ParseJsonLine;
using ::cmtp::testing::ParseSamples;
using ::cmtp::testing::ReadFileOrDie;
using ::cmtp::testing::SampleValue;
using ::cmtp::testing::SplitLines;
using ::testing::HasSubstr;

const std::string kKeyserver =
    std::string(CMTP_BINARY_DIR) + "/services/keyserver/cmtp-keyserver";
const std::string kMailstore =
    std::string(CMTP_BINARY_DIR) + "/services/mailstore/cmtp-mailstore";
constexpr char kMessageId[] = "0123456789abcdef0123456789abcdef";

std::chrono::system_clock::time_point Deadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(10);
}

class ServiceObservabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.Start());
    dir_ = testing::MakeTempDir("cmtp-observability-");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Starts `argv` plus the listen, port-file and redis flags; returns the gRPC
  // port, or 0.
  int Start(std::vector<std::string> argv, const std::string& name) {
    const std::string port_file = dir_ + "/" + name + ".port";
    for (const std::string& flag :
         {std::string("--listen"), std::string("127.0.0.1:0"), std::string("--port-file"),
          port_file, std::string("--redis"), redis_.address()}) {
      argv.push_back(flag);
    }
    if (!process_.Start(argv, {}, LogPath(name))) return 0;
    return testing::WaitForPortFile(port_file);
  }

  std::string LogPath(const std::string& name) const {
    return dir_ + "/" + name + ".log";
  }

  // Every line of the service's stderr, each required to be a JSON object.
  std::vector<JsonLine> LogLines(const std::string& name) const {
    std::vector<JsonLine> lines;
    for (const std::string& line : SplitLines(ReadFileOrDie(LogPath(name)))) {
      std::optional<JsonLine> parsed = ParseJsonLine(line);
      EXPECT_TRUE(parsed.has_value()) << "not a JSON line: " << line;
      if (parsed) lines.push_back(*parsed);
    }
    return lines;
  }

  // The metrics port the service logged ("serving metrics"); 0 when none.
  int MetricsPort(const std::string& name) const {
    for (JsonLine& line : LogLines(name)) {
      if (line.fields["msg"].text == "serving metrics") {
        return std::stoi(line.fields["port"].text);
      }
    }
    return 0;
  }

  std::vector<MetricSample> Scrape(int port) const {
    std::optional<HttpResponse> response = HttpGet(port, "/metrics");
    EXPECT_TRUE(response.has_value());
    if (!response) return {};
    EXPECT_EQ(response->status, 200);
    std::optional<std::vector<MetricSample>> samples = ParseSamples(response->body);
    EXPECT_TRUE(samples.has_value()) << response->body;
    return samples.value_or(std::vector<MetricSample>{});
  }

  // SIGTERM; the service must exit 0.
  void StopCleanly() {
    int status = process_.Stop(SIGTERM, std::chrono::seconds(10));
    ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }

  static void ExpectNoPersonalLabels(const std::vector<MetricSample>& samples,
                                     const std::vector<std::string>& personal) {
    for (const MetricSample& sample : samples) {
      for (const auto& [name, value] : sample.labels) {
        for (const std::string& word : personal) {
          EXPECT_EQ(value.find(word), std::string::npos)
              << sample.name << "{" << name << "=" << value << "}";
        }
      }
    }
  }

  // The "rpc" log line of `method` with this request id.
  static std::optional<JsonLine> RpcLine(const std::vector<JsonLine>& lines,
                                         const std::string& method,
                                         const std::string& request_id) {
    for (const JsonLine& line : lines) {
      if (line.fields.at("msg").text == "rpc" && line.fields.count("method") &&
          line.fields.at("method").text == method && line.fields.count("request_id") &&
          line.fields.at("request_id").text == request_id) {
        return line;
      }
    }
    return std::nullopt;
  }

  testing::RedisServer redis_;
  std::string dir_;
  testing::Process process_;
};

TEST_F(ServiceObservabilityTest, MailstoreCountsRpcsAndLogsTheirRequestIds) {
  const int port = Start({kMailstore, "--metrics-listen", "127.0.0.1:0"}, "mailstore");
  ASSERT_GT(port, 0) << ReadFileOrDie(LogPath("mailstore"));
  const int metrics_port = MetricsPort("mailstore");
  ASSERT_GT(metrics_port, 0) << ReadFileOrDie(LogPath("mailstore"));
  auto stub =
      v1::MailStore::NewStub(rpc::MakeChannel("127.0.0.1:" + std::to_string(port)));

  grpc::ClientContext put_context;
  put_context.set_deadline(Deadline());
  observability::AttachRequestId(put_context, "gw-put-1");
  v1::PutRequest put;
  put.set_mailbox("alice");
  put.set_message_id(kMessageId);
  put.set_blob("sealed bytes");
  put.set_src_account("bob");
  put.set_src_domain("example.org");
  v1::PutResponse put_response;
  grpc::Status put_status = stub->Put(&put_context, put, &put_response);
  ASSERT_TRUE(put_status.ok()) << put_status.error_message();

  grpc::ClientContext get_context;
  get_context.set_deadline(Deadline());
  observability::AttachRequestId(get_context, "gw-get-2");
  v1::GetRequest get;
  get.set_mailbox("carol");
  get.set_message_id(kMessageId);
  v1::GetResponse get_response;
  EXPECT_EQ(stub->Get(&get_context, get, &get_response).error_code(),
            grpc::StatusCode::NOT_FOUND);

  std::vector<MetricSample> samples = Scrape(metrics_port);
  EXPECT_EQ(
      SampleValue(samples, "cmtp_grpc_server_requests_total",
                  {{"service", "cmtp.v1.MailStore"}, {"method", "Put"}, {"code", "OK"}}),
      1);
  EXPECT_EQ(
      SampleValue(
          samples, "cmtp_grpc_server_requests_total",
          {{"service", "cmtp.v1.MailStore"}, {"method", "Get"}, {"code", "NOT_FOUND"}}),
      1);
  EXPECT_EQ(SampleValue(samples, "cmtp_grpc_server_request_duration_seconds_count",
                        {{"service", "cmtp.v1.MailStore"}, {"method", "Put"}}),
            1);
  ExpectNoPersonalLabels(samples, {"alice", "bob", "carol", "example.org"});

  StopCleanly();
  std::vector<JsonLine> lines = LogLines("mailstore");
  for (JsonLine& line : lines) EXPECT_EQ(line.fields["service"].text, "mailstore");
  std::optional<JsonLine> put_line = RpcLine(lines, "/cmtp.v1.MailStore/Put", "gw-put-1");
  ASSERT_TRUE(put_line.has_value()) << ReadFileOrDie(LogPath("mailstore"));
  EXPECT_EQ(put_line->fields["code"].text, "OK");
  std::optional<JsonLine> get_line = RpcLine(lines, "/cmtp.v1.MailStore/Get", "gw-get-2");
  ASSERT_TRUE(get_line.has_value()) << ReadFileOrDie(LogPath("mailstore"));
  EXPECT_EQ(get_line->fields["code"].text, "NOT_FOUND");
  EXPECT_EQ(lines.back().fields["msg"].text, "stopped");
}

TEST_F(ServiceObservabilityTest, KeyserverCountsRpcsAndLogsTheirRequestIds) {
  const int port = Start({kKeyserver, "--metrics-listen", "127.0.0.1:0", "--domain",
                          "example.org", "--server-key-file", dir_ + "/server.key"},
                         "keyserver");
  ASSERT_GT(port, 0) << ReadFileOrDie(LogPath("keyserver"));
  const int metrics_port = MetricsPort("keyserver");
  ASSERT_GT(metrics_port, 0) << ReadFileOrDie(LogPath("keyserver"));
  auto stub =
      v1::KeyServer::NewStub(rpc::MakeChannel("127.0.0.1:" + std::to_string(port)));

  grpc::ClientContext key_context;
  key_context.set_deadline(Deadline());
  observability::AttachRequestId(key_context, "gw-key-1");
  v1::KeyBlockResponse server_key;
  ASSERT_TRUE(
      stub->GetServerKey(&key_context, v1::GetServerKeyRequest(), &server_key).ok());

  grpc::ClientContext account_context;
  account_context.set_deadline(Deadline());
  observability::AttachRequestId(account_context, "gw-key-2");
  v1::GetAccountKeyRequest account;
  account.set_account("dave");
  v1::KeyBlockResponse account_key;
  EXPECT_EQ(stub->GetAccountKey(&account_context, account, &account_key).error_code(),
            grpc::StatusCode::NOT_FOUND);

  std::vector<MetricSample> samples = Scrape(metrics_port);
  EXPECT_EQ(
      SampleValue(
          samples, "cmtp_grpc_server_requests_total",
          {{"service", "cmtp.v1.KeyServer"}, {"method", "GetServerKey"}, {"code", "OK"}}),
      1);
  EXPECT_EQ(SampleValue(samples, "cmtp_grpc_server_requests_total",
                        {{"service", "cmtp.v1.KeyServer"},
                         {"method", "GetAccountKey"},
                         {"code", "NOT_FOUND"}}),
            1);
  ExpectNoPersonalLabels(samples, {"dave", "example.org"});

  StopCleanly();
  std::vector<JsonLine> lines = LogLines("keyserver");
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.front().fields["msg"].text, "starting");
  EXPECT_EQ(lines.front().fields["domain"].text, "example.org");
  EXPECT_TRUE(RpcLine(lines, "/cmtp.v1.KeyServer/GetServerKey", "gw-key-1").has_value());
  EXPECT_TRUE(RpcLine(lines, "/cmtp.v1.KeyServer/GetAccountKey", "gw-key-2").has_value());
}

TEST_F(ServiceObservabilityTest, MetricsAreOffByDefaultAndTextLogsOnRequest) {
  const int port = Start({kMailstore, "--log-format", "text"}, "mailstore");
  ASSERT_GT(port, 0) << ReadFileOrDie(LogPath("mailstore"));
  StopCleanly();
  const std::string log = ReadFileOrDie(LogPath("mailstore"));
  EXPECT_THAT(log, HasSubstr(" info mailstore: listening port="));
  EXPECT_EQ(log.find("serving metrics"), std::string::npos) << log;
  EXPECT_EQ(log.find('{'), std::string::npos) << log;
}

TEST_F(ServiceObservabilityTest, BadObservabilityFlagsExitTwo) {
  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{"--metrics-listen", "9090"},
        std::vector<std::string>{"--log-format", "xml"},
        std::vector<std::string>{"--log-level", "loud"}}) {
    for (const std::string& binary : {kMailstore, kKeyserver}) {
      std::vector<std::string> argv = {binary, "--redis", redis_.address(),
                                       "--server-key-file", dir_ + "/server.key"};
      if (binary == kMailstore) argv.resize(3);
      argv.insert(argv.end(), flags.begin(), flags.end());
      testing::CommandResult result = testing::RunCommand(argv);
      EXPECT_EQ(result.exit_code, 2) << binary << " " << flags[0] << ": " << result.err;
      EXPECT_THAT(result.err, HasSubstr(flags[1])) << binary;
    }
  }
}

TEST_F(ServiceObservabilityTest, MetricsAddressComesFromTheEnvironmentToo) {
  testing::CommandResult result = testing::RunCommand(
      {kMailstore, "--redis", redis_.address()}, "", {{"CMTP_METRICS_LISTEN", "nope"}});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_THAT(result.err, HasSubstr("nope"));
}

}  // namespace
}  // namespace cmtp
