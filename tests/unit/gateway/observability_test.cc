// What the gateway counts and logs, seen through the fake backends: one log
// line per MAIL with its own request id (the one the mailstore is given),
// never an address in it; failures by their code; rate limits and outcomes
// in the metrics.
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/unit/gateway/test_util.h"

namespace cmtp::gateway::testing {
namespace {

// The value of `series` (name and labels as rendered), -1 when absent.
double Sample(const std::string& metrics, const std::string& series) {
  size_t at = 0;
  while ((at = metrics.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || metrics[at - 1] == '\n') {
      return std::stod(metrics.substr(at + series.size() + 1));
    }
    at += series.size();
  }
  return -1;
}

std::vector<std::string> LinesWithMsg(GatewayHarness& harness, const std::string& msg) {
  std::vector<std::string> found;
  for (const std::string& line : harness.LogLines()) {
    if (line.find("\"msg\":\"" + msg + "\"") != std::string::npos) found.push_back(line);
  }
  return found;
}

std::string Field(const std::string& line, const std::string& key) {
  const std::string marker = "\"" + key + "\":\"";
  size_t at = line.find(marker);
  if (at == std::string::npos) return "";
  at += marker.size();
  return line.substr(at, line.find('"', at) - at);
}

class GatewayObservabilityTest : public ::testing::Test {
 protected:
  void SetUp() override { AddReferenceAccounts(harness_); }

  // A command is counted once its reply is written, which may be just after
  // the client has read it.
  bool SampleBecomes(const std::string& series, double value) {
    return cmtp::testing::WaitFor(
        [&] { return Sample(harness_.RenderMetrics(), series) == value; });
  }

  GatewayHarness harness_;
};

TEST_F(GatewayObservabilityTest, EachMailHasItsOwnRequestIdGivenToTheMailstore) {
  auto client = ConnectAndGreet(harness_);
  TestMail first;
  TestMail second;
  second.body = "another sealed body";
  for (const TestMail& mail : {first, second}) {
    client->Send(mail.Request());
    ASSERT_TRUE(client->ReadStatus().success());
  }
  std::vector<std::string> lines = LinesWithMsg(harness_, "mail");
  ASSERT_EQ(lines.size(), 2u);
  std::vector<std::string> logged_ids;
  for (const std::string& line : lines) {
    EXPECT_EQ(Field(line, "level"), "info") << line;
    EXPECT_EQ(Field(line, "outcome"), "stored") << line;
    EXPECT_EQ(Field(line, "recipient"), "local") << line;
    EXPECT_EQ(Field(line, "code"), "OK") << line;
    EXPECT_EQ(line.find("bob"), std::string::npos) << line;
    EXPECT_EQ(line.find("alice"), std::string::npos) << line;
    EXPECT_EQ(line.find("hawaii.edu"), std::string::npos) << line;
    logged_ids.push_back(Field(line, "request_id"));
  }
  EXPECT_NE(logged_ids[0], logged_ids[1]);
  EXPECT_EQ(logged_ids, harness_.mailboxes().PutRequestIds());
  EXPECT_NE(lines[0].find("\"size\":" + std::to_string(first.MessageBytes().size())),
            std::string::npos)
      << lines[0];

  EXPECT_TRUE(SampleBecomes(
      "cmtp_gateway_requests_total{command=\"MAIL\",outcome=\"success\"}", 2));
  const std::string metrics = harness_.RenderMetrics();
  EXPECT_EQ(Sample(metrics, "cmtp_gateway_message_size_bytes_count"), 2);
  EXPECT_EQ(
      Sample(metrics, "cmtp_gateway_message_size_bytes_sum"),
      static_cast<double>(first.MessageBytes().size() + second.MessageBytes().size()));
  EXPECT_EQ(Sample(metrics, "cmtp_gateway_open_connections"), 1);
}

TEST_F(GatewayObservabilityTest, AMailstoreFailureIsAWarningAndAFailure) {
  harness_.mailboxes().SetPutError(absl::UnavailableError("mailstore unavailable: down"));
  auto client = ConnectAndGreet(harness_);
  client->Send(TestMail().Request());
  EXPECT_FALSE(client->ReadStatus().success());
  std::vector<std::string> lines = LinesWithMsg(harness_, "mail");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Field(lines[0], "level"), "warning") << lines[0];
  EXPECT_EQ(Field(lines[0], "outcome"), "failed") << lines[0];
  EXPECT_EQ(Field(lines[0], "code"), "UNAVAILABLE") << lines[0];
  EXPECT_TRUE(SampleBecomes(
      "cmtp_gateway_requests_total{command=\"MAIL\",outcome=\"failure\"}", 1));
}

TEST_F(GatewayObservabilityTest, AnUnknownRecipientIsRefusedByCodeNotByName) {
  auto client = ConnectAndGreet(harness_);
  TestMail mail;
  mail.dst_account = "nosuchuser";
  client->Send(mail.Request());
  EXPECT_FALSE(client->ReadStatus().success());
  std::vector<std::string> lines = LinesWithMsg(harness_, "mail");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Field(lines[0], "outcome"), "refused") << lines[0];
  EXPECT_EQ(Field(lines[0], "code"), "NOT_FOUND") << lines[0];
  EXPECT_EQ(lines[0].find("nosuchuser"), std::string::npos) << lines[0];
  EXPECT_TRUE(harness_.mailboxes().PutRequestIds().empty());
}

TEST_F(GatewayObservabilityTest, RateLimitedLoginsAreCounted) {
  harness_.keys().SetBeginLoginError(absl::ResourceExhaustedError("rate limited"));
  auto client = ConnectAndGreet(harness_);
  client->Send(LoginRequest("alice"));
  EXPECT_EQ(client->ReadStatus().word, "FAILURE");
  EXPECT_TRUE(SampleBecomes(
      "cmtp_gateway_requests_total{command=\"LOGIN\",outcome=\"failure\"}", 1));
  const std::string metrics = harness_.RenderMetrics();
  EXPECT_EQ(Sample(metrics, "cmtp_gateway_rate_limited_total{command=\"LOGIN\"}"), 1);
  EXPECT_EQ(Sample(metrics,
                   "cmtp_gateway_requests_total{command=\"LOGIN\",outcome=\"failure\"}"),
            1);
  EXPECT_EQ(
      Sample(metrics, "cmtp_gateway_request_duration_seconds_count{command=\"LOGIN\"}"),
      1);
}

TEST_F(GatewayObservabilityTest, SessionsAreLoggedFromStartToEnd) {
  auto client = ConnectAndGreet(harness_);
  client->Send(std::string("NOOP\0", 5));
  EXPECT_EQ(client->Read(5), std::string("O_O\n\0", 5));
  client->Send(std::string("OBAI\0", 5));
  EXPECT_EQ(client->Read(10), std::string("Good bye\n\0", 10));
  EXPECT_TRUE(client->WaitForClose());
  ASSERT_TRUE(cmtp::testing::WaitFor([&] { return harness_.sessions() == 0; }));
  std::vector<std::string> starts = LinesWithMsg(harness_, "session start");
  std::vector<std::string> ends = LinesWithMsg(harness_, "session end");
  ASSERT_EQ(starts.size(), 1u);
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(Field(starts[0], "session"), Field(ends[0], "session"));
  EXPECT_EQ(Field(ends[0], "reason"), "OBAI") << ends[0];
  EXPECT_NE(ends[0].find("\"commands\":2"), std::string::npos) << ends[0];
  const std::string metrics = harness_.RenderMetrics();
  EXPECT_EQ(
      Sample(metrics, "cmtp_gateway_requests_total{command=\"OBAI\",outcome=\"close\"}"),
      1);
  EXPECT_EQ(Sample(metrics,
                   "cmtp_gateway_requests_total{command=\"NOOP\",outcome=\"success\"}"),
            1);
  EXPECT_EQ(Sample(metrics, "cmtp_gateway_connections_accepted_total"), 1);
  EXPECT_EQ(Sample(metrics, "cmtp_gateway_open_connections"), 0);
}

}  // namespace
}  // namespace cmtp::gateway::testing
