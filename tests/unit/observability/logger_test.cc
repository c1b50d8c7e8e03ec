#include "lib/observability/logger.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "lib/observability/request_id.h"
#include "tests/support/ports.h"
#include "tests/unit/observability/json_line.h"

namespace cmtp::observability {
namespace {

using ::cmtp::testing::JsonLine;
using ::cmtp::testing::JsonValue;
using ::cmtp::testing::ParseJsonLine;
using ::testing::ElementsAre;

const std::chrono::system_clock::time_point kTime{
    std::chrono::milliseconds(1714566896789)};

// A logger whose lines land in `lines`.
class CapturingLogger {
 public:
  explicit CapturingLogger(LogLevel min_level = LogLevel::kInfo,
                           LogFormat format = LogFormat::kJson)
      : logger_("keyserver", format, min_level,
                [this](std::string_view line) { lines_.emplace_back(line); }) {}
  Logger& logger() { return logger_; }
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  std::vector<std::string> lines_;
  Logger logger_;
};

TEST(LoggerTest, JsonLineHasTheCoreKeysFirstThenTheFields) {
  Logger logger("keyserver");
  EXPECT_EQ(logger.FormatLine(kTime, LogLevel::kWarning, "login refused",
                              {{"attempts", 3},
                               {"limited", true},
                               {"ratio", 0.25},
                               {"reason", "rate \"limit\""}}),
            "{\"ts\":\"2024-05-01T12:34:56.789Z\",\"level\":\"warning\","
            "\"service\":\"keyserver\",\"msg\":\"login refused\",\"attempts\":3,"
            "\"limited\":true,\"ratio\":0.25,\"reason\":\"rate \\\"limit\\\"\"}\n");
}

TEST(LoggerTest, EveryLineParsesWhateverItCarries) {
  Logger logger("svc\"with\\quotes");
  static constexpr char kHostile[] = "line\nbreak\r\x01 \xFF \"}{\0";
  const std::string hostile(kHostile, sizeof(kHostile) - 1);
  std::string line = logger.FormatLine(kTime, LogLevel::kError, hostile,
                                       {{"detail", hostile}, {"n", int64_t{-42}}});
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line per event";
  std::optional<JsonLine> parsed = ParseJsonLine(line);
  ASSERT_TRUE(parsed.has_value()) << line;
  EXPECT_THAT(parsed->keys_in_order,
              ElementsAre("ts", "level", "service", "msg", "detail", "n"));
  EXPECT_EQ(parsed->fields["service"].text, "svc\"with\\quotes");
  EXPECT_EQ(parsed->fields["level"].text, "error");
  EXPECT_EQ(parsed->fields["n"].type, JsonValue::Type::kNumber);
  EXPECT_EQ(parsed->fields["n"].text, "-42");
  // The byte that is not UTF-8 became U+FFFD; everything else survived.
  std::string expected = hostile;
  expected.replace(expected.find('\xFF'), 1, "\xEF\xBF\xBD");
  EXPECT_EQ(parsed->fields["msg"].text, expected);
  EXPECT_EQ(parsed->fields["detail"].text, expected);
}

TEST(LoggerTest, NonFiniteNumbersBecomeStrings) {
  Logger logger("svc");
  std::optional<JsonLine> parsed =
      ParseJsonLine(logger.FormatLine(kTime, LogLevel::kInfo, "m",
                                      {{"x", std::numeric_limits<double>::quiet_NaN()},
                                       {"y", std::numeric_limits<double>::infinity()}}));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->fields["x"].type, JsonValue::Type::kString);
  EXPECT_EQ(parsed->fields["y"].type, JsonValue::Type::kString);
}

TEST(LoggerTest, FieldsNamedLikeCoreKeysAreRenamed) {
  Logger logger("svc");
  std::optional<JsonLine> parsed = ParseJsonLine(logger.FormatLine(
      kTime, LogLevel::kInfo, "real", {{"msg", "fake"}, {"level", "fake"}}));
  ASSERT_TRUE(parsed.has_value()) << "no duplicate keys";
  EXPECT_EQ(parsed->fields["msg"].text, "real");
  EXPECT_EQ(parsed->fields["level"].text, "info");
  EXPECT_EQ(parsed->fields["field_msg"].text, "fake");
  EXPECT_EQ(parsed->fields["field_level"].text, "fake");
}

TEST(LoggerTest, CarriesTheCurrentRequestId) {
  Logger logger("svc");
  EXPECT_EQ(ParseJsonLine(logger.FormatLine(kTime, LogLevel::kInfo, "m", {}))
                ->fields.count("request_id"),
            0u);
  ScopedRequestId scope("req-7");
  std::optional<JsonLine> parsed =
      ParseJsonLine(logger.FormatLine(kTime, LogLevel::kInfo, "m", {{"k", 1}}));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_THAT(parsed->keys_in_order,
              ElementsAre("ts", "level", "service", "msg", "request_id", "k"));
  EXPECT_EQ(parsed->fields["request_id"].text, "req-7");
  // A field naming the id wins, and the key still appears once.
  parsed = ParseJsonLine(
      logger.FormatLine(kTime, LogLevel::kInfo, "m", {{"request_id", "other"}}));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->fields["request_id"].text, "other");
}

TEST(LoggerTest, DropsLinesBelowTheMinimumLevel) {
  CapturingLogger capture(LogLevel::kWarning);
  capture.logger().Debug("d");
  capture.logger().Info("i");
  capture.logger().Warning("w");
  capture.logger().Error("e");
  ASSERT_EQ(capture.lines().size(), 2u);
  EXPECT_EQ(ParseJsonLine(capture.lines()[0])->fields["msg"].text, "w");
  EXPECT_EQ(ParseJsonLine(capture.lines()[1])->fields["level"].text, "error");
  EXPECT_FALSE(capture.logger().Enabled(LogLevel::kInfo));
  EXPECT_TRUE(capture.logger().Enabled(LogLevel::kError));
}

TEST(LoggerTest, TextFormatIsOneReadableLine) {
  Logger logger("mailstore", LogFormat::kText);
  ScopedRequestId scope("r1");
  EXPECT_EQ(logger.FormatLine(kTime, LogLevel::kInfo, "put\nstored",
                              {{"bytes", 12}, {"note", "two words"}, {"empty", ""}}),
            "2024-05-01T12:34:56.789Z info mailstore: put stored request_id=r1 bytes=12 "
            "note=\"two words\" empty=\"\"\n");
}

TEST(LoggerTest, ParsesLevelsAndFormats) {
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("warning"), LogLevel::kWarning);
  EXPECT_FALSE(ParseLogLevel("verbose").ok());
  EXPECT_EQ(*ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(*ParseLogFormat("text"), LogFormat::kText);
  EXPECT_FALSE(ParseLogFormat("xml").ok());
}

// The default sink is standard error; lines of many threads at once must
// come out whole. fd 2 is pointed at a file for the duration.
TEST(LoggerTest, StandardErrorLinesOfManyThreadsDoNotInterleave) {
  const std::string path = testing::MakeTempDir("cmtp-logger-") + "/stderr.log";
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  const int file = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(file, 0);
  dup2(file, STDERR_FILENO);
  close(file);
  {
    Logger logger("svc");
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&logger, t] {
        const std::string padding(300, static_cast<char>('a' + t));
        for (int i = 0; i < 200; ++i)
          logger.Info("tick", {{"thread", t}, {"pad", padding}});
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  dup2(saved, STDERR_FILENO);
  close(saved);

  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  std::vector<std::string> lines = testing::SplitLines(contents.str());
  ASSERT_EQ(lines.size(), 1600u);
  for (const std::string& line : lines) {
    std::optional<JsonLine> parsed = ParseJsonLine(line);
    ASSERT_TRUE(parsed.has_value()) << line;
    const int thread = std::stoi(parsed->fields["thread"].text);
    EXPECT_EQ(parsed->fields["pad"].text,
              std::string(300, static_cast<char>('a' + thread)));
  }
}

}  // namespace
}  // namespace cmtp::observability
