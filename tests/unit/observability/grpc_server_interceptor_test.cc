#include "lib/observability/grpc_server_interceptor.h"

#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cmtp/v1/keyserver.grpc.pb.h"
#include "lib/observability/metric_naming.h"
#include "lib/observability/request_id.h"
#include "lib/rpc/server.h"
#include "tests/unit/observability/captured_lines.h"
#include "tests/unit/observability/json_line.h"
#include "tests/unit/observability/metrics_scrape.h"
#include "tests/unit/observability/recording_key_server.h"

namespace cmtp::observability {
namespace {

using ::cmtp::testing::CapturedLines;
using ::cmtp::testing::HttpGet;
using ::cmtp::testing::HttpResponse;
using ::cmtp::testing::JsonLine;
using ::cmtp::testing::JsonValue;
using ::cmtp::testing::MetricSample;
using ::cmtp::testing::ParseJsonLine;
using ::cmtp::testing::ParseSamples;
using ::cmtp::testing::RecordingKeyServer;
using ::cmtp::testing::SampleValue;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;

constexpr char kRequests[] = "cmtp_grpc_server_requests_total";
constexpr char kDuration[] = "cmtp_grpc_server_request_duration_seconds";
constexpr char kKeyServer[] = "cmtp.v1.KeyServer";

// A gRPC server with the interceptor, its own metrics and captured logs.
class ObservedServer {
 public:
  explicit ObservedServer(std::string service_name, LogLevel level = LogLevel::kDebug)
      : logger_(std::move(service_name), LogFormat::kJson, level, captured_.Sink()),
        service_(logger_) {}
  ~ObservedServer() {
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    }
  }

  void Start() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(
        std::make_unique<GrpcServerInterceptorFactory>(metrics_, logger_));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
  }

  std::unique_ptr<v1::KeyServer::Stub> NewStub() const {
    return v1::KeyServer::NewStub(rpc::MakeChannel(address()));
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // The samples of /metrics, scraped over HTTP.
  std::vector<MetricSample> Scrape() {
    if (metrics_.port() == 0) {
      absl::StatusOr<int> port = metrics_.Serve("127.0.0.1:0");
      EXPECT_TRUE(port.ok()) << port.status();
    }
    std::optional<HttpResponse> response = HttpGet(metrics_.port(), "/metrics");
    EXPECT_TRUE(response.has_value());
    if (!response) return {};
    EXPECT_EQ(response->status, 200);
    std::optional<std::vector<MetricSample>> samples = ParseSamples(response->body);
    EXPECT_TRUE(samples.has_value()) << response->body;
    return samples.value_or(std::vector<MetricSample>{});
  }

  // Every captured line, parsed; a line that does not parse fails the test.
  std::vector<JsonLine> LogLines() const {
    std::vector<JsonLine> parsed;
    for (const std::string& line : captured_.lines()) {
      std::optional<JsonLine> json = ParseJsonLine(line);
      EXPECT_TRUE(json.has_value()) << line;
      if (json) parsed.push_back(*json);
    }
    return parsed;
  }

  RecordingKeyServer& service() { return service_; }

 private:
  CapturedLines captured_;
  Metrics metrics_;
  Logger logger_;
  RecordingKeyServer service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

struct CallResult {
  grpc::Status status;
  std::string echoed_request_id;  // from the response's initial metadata
};

CallResult GetAccountKey(v1::KeyServer::Stub& stub, const std::string& account,
                         const std::optional<std::string>& request_id = std::nullopt) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (request_id) AttachRequestId(context, *request_id);
  v1::GetAccountKeyRequest request;
  request.set_account(account);
  v1::KeyBlockResponse response;
  CallResult result;
  result.status = stub.GetAccountKey(&context, request, &response);
  const auto& metadata = context.GetServerInitialMetadata();
  auto found = metadata.find(kRequestIdMetadataKey);
  if (found != metadata.end()) {
    result.echoed_request_id = std::string(found->second.data(), found->second.size());
  }
  return result;
}

// The log lines with this msg.
std::vector<JsonLine> WithMessage(const std::vector<JsonLine>& lines,
                                  const std::string& msg) {
  std::vector<JsonLine> found;
  for (const JsonLine& line : lines) {
    if (line.fields.at("msg").text == msg) found.push_back(line);
  }
  return found;
}

TEST(GrpcServerInterceptorTest, CountsAndTimesEveryRpcByServiceMethodAndCode) {
  ObservedServer server("keyserver");
  server.Start();
  auto stub = server.NewStub();
  EXPECT_EQ(GetAccountKey(*stub, "alice@example.org").status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetAccountKey(*stub, "bob").status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(GetAccountKey(*stub, "known").status.ok());

  std::vector<MetricSample> samples = server.Scrape();
  EXPECT_EQ(
      SampleValue(
          samples, kRequests,
          {{"service", kKeyServer}, {"method", "GetAccountKey"}, {"code", "NOT_FOUND"}}),
      2);
  EXPECT_EQ(
      SampleValue(samples, kRequests,
                  {{"service", kKeyServer}, {"method", "GetAccountKey"}, {"code", "OK"}}),
      1);
  const std::map<std::string, std::string> method = {{"service", kKeyServer},
                                                     {"method", "GetAccountKey"}};
  EXPECT_EQ(SampleValue(samples, std::string(kDuration) + "_count", method), 3);
  std::map<std::string, std::string> infinity_bucket = method;
  infinity_bucket["le"] = "+Inf";
  EXPECT_EQ(SampleValue(samples, std::string(kDuration) + "_bucket", infinity_bucket), 3);
  std::optional<double> total_seconds =
      SampleValue(samples, std::string(kDuration) + "_sum", method);
  ASSERT_TRUE(total_seconds.has_value());
  EXPECT_GT(*total_seconds, 0);
  EXPECT_LT(*total_seconds, 30);

  // No label names a person: only the allowed names (and `le` of the
  // buckets), and no value holds what the callers asked about.
  const std::vector<std::string>& allowed = AllowedLabelNames();
  int cmtp_samples = 0;
  for (const MetricSample& sample : samples) {
    if (sample.name.rfind("cmtp_", 0) != 0) continue;
    ++cmtp_samples;
    for (const auto& [name, value] : sample.labels) {
      if (name != "le") {
        EXPECT_THAT(allowed, Contains(name)) << sample.name;
      }
      for (const char* personal : {"alice", "bob", "example.org", "known"}) {
        EXPECT_EQ(value.find(personal), std::string::npos) << sample.name << " " << value;
      }
    }
  }
  EXPECT_GT(cmtp_samples, 0);
}

TEST(GrpcServerInterceptorTest, RequestIdFromMetadataReachesHandlerLogsAndResponse) {
  ObservedServer server("keyserver");
  server.Start();
  auto stub = server.NewStub();
  CallResult result = GetAccountKey(*stub, "alice", "gw-7:req-42");
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(result.echoed_request_id, "gw-7:req-42");
  EXPECT_THAT(server.service().seen_request_ids(), ElementsAre("gw-7:req-42"));

  std::vector<JsonLine> lines = server.LogLines();
  std::vector<JsonLine> handler_lines = WithMessage(lines, "looking up an account");
  ASSERT_EQ(handler_lines.size(), 1u);
  EXPECT_EQ(handler_lines[0].fields["request_id"].text, "gw-7:req-42");
  EXPECT_EQ(handler_lines[0].fields["service"].text, "keyserver");

  std::vector<JsonLine> rpc_lines = WithMessage(lines, "rpc");
  ASSERT_EQ(rpc_lines.size(), 1u);
  JsonLine& rpc = rpc_lines[0];
  EXPECT_EQ(rpc.fields["level"].text, "info");
  EXPECT_EQ(rpc.fields["request_id"].text, "gw-7:req-42");
  EXPECT_EQ(rpc.fields["method"].text, "/cmtp.v1.KeyServer/GetAccountKey");
  EXPECT_EQ(rpc.fields["code"].text, "NOT_FOUND");
  EXPECT_EQ(rpc.fields["error"].text, "no account alice");
  EXPECT_EQ(rpc.fields["duration_seconds"].type, JsonValue::Type::kNumber);
  EXPECT_THAT(rpc.keys_in_order, Not(Contains("field_msg")));
}

TEST(GrpcServerInterceptorTest, MissingOrUnusableIdsAreReplacedByFreshOnes) {
  ObservedServer server("keyserver");
  server.Start();
  auto stub = server.NewStub();
  CallResult without = GetAccountKey(*stub, "known");
  CallResult unusable = GetAccountKey(*stub, "known", "two words");
  CallResult another = GetAccountKey(*stub, "known");

  for (const CallResult* result : {&without, &unusable, &another}) {
    EXPECT_TRUE(result->status.ok());
    EXPECT_EQ(result->echoed_request_id.size(), 32u) << result->echoed_request_id;
    EXPECT_TRUE(IsUsableRequestId(result->echoed_request_id));
  }
  EXPECT_NE(without.echoed_request_id, another.echoed_request_id);
  EXPECT_THAT(server.service().seen_request_ids(),
              ElementsAre(without.echoed_request_id, unusable.echoed_request_id,
                          another.echoed_request_id));
}

TEST(GrpcServerInterceptorTest, HandlersPassTheIdOnThroughMakeChannel) {
  ObservedServer storage("mailstore");
  storage.Start();
  ObservedServer front("relay");
  front.Start();
  front.service().set_downstream(storage.NewStub());

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  AttachRequestId(context, "trace-me");
  v1::KeyBlockResponse response;
  ASSERT_TRUE(
      front.NewStub()->GetServerKey(&context, v1::GetServerKeyRequest(), &response).ok());

  EXPECT_THAT(front.service().seen_request_ids(), ElementsAre("trace-me"));
  EXPECT_THAT(storage.service().seen_request_ids(), ElementsAre("trace-me"));
  std::vector<JsonLine> storage_rpcs = WithMessage(storage.LogLines(), "rpc");
  ASSERT_EQ(storage_rpcs.size(), 1u);
  EXPECT_EQ(storage_rpcs[0].fields["request_id"].text, "trace-me");
  // Outside a handler the thread has no id, and a call carries none.
  EXPECT_EQ(CurrentRequestId(), "");
}

TEST(GrpcServerInterceptorTest, ServerFailuresLogAsWarnings) {
  ObservedServer server("keyserver", LogLevel::kWarning);
  server.Start();
  auto stub = server.NewStub();
  EXPECT_TRUE(GetAccountKey(*stub, "known").status.ok());
  EXPECT_EQ(GetAccountKey(*stub, "nobody").status.error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetAccountKey(*stub, "explode", "boom-1").status.error_code(),
            grpc::StatusCode::INTERNAL);

  // At level warning only the server's own failure is written.
  std::vector<JsonLine> lines = server.LogLines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].fields["level"].text, "warning");
  EXPECT_EQ(lines[0].fields["code"].text, "INTERNAL");
  EXPECT_EQ(lines[0].fields["request_id"].text, "boom-1");
  EXPECT_EQ(lines[0].fields["error"].text, "the store broke");
}

// A client can name any method; the labels must not follow it.
TEST(GrpcServerInterceptorTest, MethodsTheServerDoesNotHaveShareOneLabel) {
  ObservedServer server("keyserver");
  server.Start();
  grpc::GenericStub stub(rpc::MakeChannel(server.address()));
  for (const char* method : {"/cmtp.v1.Invented/Anything", "/alice@example.org/x"}) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Slice empty;
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                   [&done](grpc::Status status) { done.set_value(status); });
    EXPECT_EQ(done.get_future().get().error_code(), grpc::StatusCode::UNIMPLEMENTED);
  }
  std::vector<MetricSample> samples = server.Scrape();
  EXPECT_EQ(
      SampleValue(
          samples, kRequests,
          {{"service", "unknown"}, {"method", "unknown"}, {"code", "UNIMPLEMENTED"}}),
      2);
  for (const MetricSample& sample : samples) {
    for (const auto& [name, value] : sample.labels) {
      EXPECT_EQ(value.find("Invented"), std::string::npos) << sample.name;
      EXPECT_EQ(value.find("alice"), std::string::npos) << sample.name;
    }
  }
}

}  // namespace
}  // namespace cmtp::observability
