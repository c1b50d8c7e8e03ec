#include "lib/observability/json_string.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/observability/json_line.h"

namespace cmtp::observability {
namespace {

// The string `encoded` (a JSON literal) holds, read back by the test parser.
std::optional<std::string> Decode(const std::string& encoded) {
  std::optional<testing::JsonLine> line =
      testing::ParseJsonLine("{\"k\":" + encoded + "}");
  if (!line) return std::nullopt;
  return line->fields.at("k").text;
}

TEST(JsonStringTest, QuotesAndEscapesWhatJsonRequires) {
  EXPECT_EQ(JsonString("plain"), "\"plain\"");
  EXPECT_EQ(JsonString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonString("\n\r\t"), "\"\\n\\r\\t\"");
  EXPECT_EQ(JsonString(std::string("\x01\x1f\x7f", 3)), "\"\\u0001\\u001f\\u007f\"");
  EXPECT_EQ(JsonString(std::string("nul\0byte", 8)), "\"nul\\u0000byte\"");
  EXPECT_EQ(JsonString(""), "\"\"");
}

TEST(JsonStringTest, KeepsValidUtf8) {
  const std::string text = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";  // é € 😀
  EXPECT_EQ(JsonString(text), "\"" + text + "\"");
}

TEST(JsonStringTest, ReplacesBytesThatAreNotUtf8) {
  const std::string replacement = "\xEF\xBF\xBD";
  EXPECT_EQ(JsonString("a\xFF"
                       "b"),
            "\"a" + replacement + "b\"");
  // Overlong '/', a UTF-16 surrogate, a sequence cut short, beyond U+10FFFF.
  EXPECT_EQ(JsonString("\xC0\xAF"), "\"" + replacement + replacement + "\"");
  EXPECT_EQ(JsonString("\xED\xA0\x80"),
            "\"" + replacement + replacement + replacement + "\"");
  EXPECT_EQ(JsonString("\xE2\x82"), "\"" + replacement + replacement + "\"");
  EXPECT_EQ(JsonString("\xF4\x90\x80\x80"),
            "\"" + replacement + replacement + replacement + replacement + "\"");
}

TEST(JsonStringTest, EveryAsciiByteRoundTrips) {
  std::string all;
  for (int c = 0; c < 128; ++c) all.push_back(static_cast<char>(c));
  std::optional<std::string> decoded = Decode(JsonString(all));
  ASSERT_TRUE(decoded.has_value()) << JsonString(all);
  EXPECT_EQ(*decoded, all);
}

TEST(JsonStringTest, AppendsAfterExistingText) {
  std::string out = "x=";
  AppendJsonString("y", out);
  EXPECT_EQ(out, "x=\"y\"");
}

}  // namespace
}  // namespace cmtp::observability
