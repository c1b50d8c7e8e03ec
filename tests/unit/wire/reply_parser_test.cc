#include "lib/wire/reply_parser.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/wire/serializer.h"
#include "tests/unit/wire/parse_helpers.h"

namespace cmtp::wire {
namespace {

using ::testing::HasSubstr;
using testing::kAllSplits;
using testing::ParseReply;
using testing::Split;

const std::string kSignature(64, '\x5a');

Status MakeStatus(bool success, std::string detail) {
  Status status;
  status.success = success;
  status.signature = kSignature;
  status.detail = std::move(detail);
  return status;
}

std::vector<ListEntry> SampleEntries() {
  std::vector<ListEntry> entries(3);
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i].message_id = std::string(32, static_cast<char>('a' + i));
    entries[i].size = 1000 * (i + 1);
    entries[i].arrival_unix_ms = 1700000000000ull + i;
    entries[i].src_account = "sender" + std::to_string(i);
    entries[i].src_domain = i == 0 ? "" : "example.org";
  }
  return entries;
}

std::string LoginChallenge() {
  return LoginChallengeReply(
      LoginChallengeSignedBytes(std::string(16, 's'), 3, 256ull << 20,
                                std::string(32, 'c')),
      kSignature);
}

struct Case {
  std::string name;
  ReplyKind kind;
  std::string bytes;
};

// Every reply a server can send, with the kind the client expects for it.
std::vector<Case> EveryReply() {
  const std::string success =
      StatusReply(MakeStatus(true, "0123456789abcdef0123456789abcdef"));
  const std::string failure = StatusReply(MakeStatus(false, "no such account"));
  return {
      {"banner", ReplyKind::kText, TextReply(kBanner)},
      {"noop", ReplyKind::kText, TextReply(kNoopReply)},
      {"short text", ReplyKind::kText, TextReply("SUCC")},
      {"empty text", ReplyKind::kText, TextReply("")},
      {"text refused", ReplyKind::kText, failure},
      {"key block", ReplyKind::kKeyBlock,
       KeyBlockReply(std::string(32, 'k'), kSignature)},
      {"key not available", ReplyKind::kKeyBlock, NotAvailableReply(kSignature)},
      {"key refused", ReplyKind::kKeyBlock, failure},
      {"login v1", ReplyKind::kLogin,
       LoginV1Reply(std::string("\0\0\0\x01", 4) + std::string(152, 'x'), kSignature)},
      {"login v2", ReplyKind::kLogin, LoginChallenge()},
      {"login not available", ReplyKind::kLogin, NotAvailableReply(kSignature)},
      {"login refused", ReplyKind::kLogin,
       StatusReply(MakeStatus(false, "rate limited"))},
      {"challenge", ReplyKind::kChallenge, std::string(32, '\x07')},
      {"challenge refused", ReplyKind::kChallenge, failure},
      {"status success", ReplyKind::kStatus, success},
      {"status failure", ReplyKind::kStatus, failure},
      {"list", ReplyKind::kStatusList, success + ListPayload(SampleEntries())},
      {"empty list", ReplyKind::kStatusList, success + ListPayload({})},
      {"list refused", ReplyKind::kStatusList, failure},
      {"blob", ReplyKind::kStatusBlob, success + BlobPayload(std::string("m\0sg", 4))},
      {"empty blob", ReplyKind::kStatusBlob, success + BlobPayload("")},
      {"blob refused", ReplyKind::kStatusBlob, failure},
      {"xzibit", ReplyKind::kStatusXzibit, success + XzibitPayload("sealed", kSignature)},
      {"xzibit refused", ReplyKind::kStatusXzibit, failure},
  };
}

class EveryReplyTest : public ::testing::TestWithParam<Split> {};

// Each reply parses to the same thing however it is split, takes exactly
// its own bytes, and leaves whatever follows it.
TEST_P(EveryReplyTest, ParsesAndLeavesWhatFollows) {
  for (const Case& c : EveryReply()) {
    SCOPED_TRACE(c.name);
    const testing::ReplyResult whole = ParseReply(c.bytes, c.kind, Split::kWhole);
    ASSERT_EQ(whole.state, ReplyParser::State::kReplyReady) << whole.error;
    EXPECT_EQ(whole.reply.raw, c.bytes);
    EXPECT_EQ(whole.consumed, c.bytes.size());
    for (uint32_t seed : {1u, 7u, 99u}) {
      const testing::ReplyResult split =
          ParseReply(c.bytes + "NEXT REPLY", c.kind, GetParam(), Limits(), seed);
      ASSERT_EQ(split.state, ReplyParser::State::kReplyReady) << split.error;
      EXPECT_EQ(split.consumed, c.bytes.size());
      testing::ExpectSameReply(split.reply, whole.reply);
    }
    for (size_t n = 0; n < c.bytes.size(); ++n) {
      ReplyParser parser(c.kind, Limits());
      const ReplyParser::Result result =
          parser.Feed(std::string_view(c.bytes).substr(0, n));
      ASSERT_EQ(result.state, ReplyParser::State::kNeedMore) << "prefix " << n;
      ASSERT_EQ(result.consumed, n);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EverySplit, EveryReplyTest, ::testing::ValuesIn(kAllSplits));

Reply Parse(std::string_view bytes, ReplyKind kind) {
  testing::ReplyResult result = ParseReply(bytes, kind, Split::kWhole);
  EXPECT_EQ(result.state, ReplyParser::State::kReplyReady) << result.error;
  return result.reply;
}

absl::Status ParseError(std::string_view bytes, ReplyKind kind,
                        const Limits& limits = Limits()) {
  testing::ReplyResult result = ParseReply(bytes, kind, Split::kWhole, limits);
  EXPECT_EQ(result.state, ReplyParser::State::kError);
  return result.error;
}

TEST(ReplyParserTest, TextReplies) {
  const Reply banner = Parse(TextReply(kBanner), ReplyKind::kText);
  EXPECT_EQ(banner.text, kBanner);
  EXPECT_FALSE(banner.has_status);
  EXPECT_EQ(Parse(TextReply(kOhaiReply), ReplyKind::kText).text, kOhaiReply);
  EXPECT_EQ(Parse(TextReply("SUCC"), ReplyKind::kText).text, "SUCC");
}

TEST(ReplyParserTest, StatusFields) {
  const Reply ok = Parse(StatusReply(MakeStatus(true, "registered")), ReplyKind::kStatus);
  EXPECT_TRUE(ok.has_status);
  EXPECT_TRUE(ok.status.success);
  EXPECT_EQ(ok.status.signature, kSignature);
  EXPECT_EQ(ok.status.detail, "registered");

  const Reply refused =
      Parse(StatusReply(MakeStatus(false, "unknown command")), ReplyKind::kText);
  EXPECT_TRUE(refused.has_status);
  EXPECT_FALSE(refused.status.success);
  EXPECT_EQ(refused.status.detail, "unknown command");
  EXPECT_TRUE(refused.text.empty());
}

TEST(ReplyParserTest, KeyBlocks) {
  const Reply key =
      Parse(KeyBlockReply(std::string(32, 'k'), kSignature), ReplyKind::kKeyBlock);
  EXPECT_TRUE(key.key_available);
  EXPECT_EQ(key.public_key, std::string(32, 'k'));
  EXPECT_EQ(key.signed_part, key.public_key);
  EXPECT_EQ(key.signature, kSignature);

  const Reply none = Parse(NotAvailableReply(kSignature), ReplyKind::kKeyBlock);
  EXPECT_FALSE(none.key_available);
  EXPECT_EQ(none.raw.size(), 85u);
  EXPECT_EQ(none.signed_part, NotAvailableSignedBytes());
  EXPECT_EQ(none.signature, kSignature);
}

TEST(ReplyParserTest, MalformedKeyBlocks) {
  std::string key = KeyBlockReply(std::string(32, 'k'), kSignature);
  key[36] = 'x';
  EXPECT_EQ(ParseError(key, ReplyKind::kKeyBlock).code(),
            absl::StatusCode::kInvalidArgument);

  std::string none = NotAvailableReply(kSignature);
  none[5] = 'X';
  EXPECT_EQ(ParseError(none, ReplyKind::kKeyBlock).code(),
            absl::StatusCode::kInvalidArgument);

  std::string type7 = KeyBlockReply(std::string(32, 'k'), kSignature);
  type7[3] = 7;
  EXPECT_THAT(std::string(ParseError(type7, ReplyKind::kKeyBlock).message()),
              HasSubstr("crypto type 7"));
  // A v2 login challenge is not a key block.
  EXPECT_FALSE(ParseError(LoginChallenge(), ReplyKind::kKeyBlock).ok());
}

TEST(ReplyParserTest, LoginVariants) {
  const Reply v2 = Parse(LoginChallenge(), ReplyKind::kLogin);
  EXPECT_EQ(v2.login_version, 2u);
  EXPECT_EQ(v2.salt, std::string(16, 's'));
  EXPECT_EQ(v2.opslimit, 3u);
  EXPECT_EQ(v2.memlimit, 256ull << 20);
  EXPECT_EQ(v2.challenge, std::string(32, 'c'));
  EXPECT_EQ(v2.signed_part, LoginChallenge().substr(0, 68));
  EXPECT_EQ(v2.signature, kSignature);

  const Reply none = Parse(NotAvailableReply(kSignature), ReplyKind::kLogin);
  EXPECT_EQ(none.login_version, 0u);
  EXPECT_FALSE(none.key_available);
  EXPECT_FALSE(none.has_status);

  const Reply refused =
      Parse(StatusReply(MakeStatus(false, "rate limited")), ReplyKind::kLogin);
  EXPECT_TRUE(refused.has_status);
  EXPECT_EQ(refused.status.detail, "rate limited");

  std::string v3 = LoginChallenge();
  v3[3] = 3;
  EXPECT_THAT(std::string(ParseError(v3, ReplyKind::kLogin).message()),
              HasSubstr("version 3"));
  // "FAIL" must go on to spell FAILURE.
  EXPECT_FALSE(
      ParseError(std::string("FAILED") + std::string(100, '\0'), ReplyKind::kLogin).ok());
}

TEST(ReplyParserTest, Challenge) {
  const Reply challenge = Parse(std::string(32, '\x07'), ReplyKind::kChallenge);
  EXPECT_EQ(challenge.challenge, std::string(32, '\x07'));
  EXPECT_FALSE(challenge.has_status);
}

TEST(ReplyParserTest, StatusKindsNeedAStatus) {
  for (ReplyKind kind : {ReplyKind::kStatus, ReplyKind::kStatusList,
                         ReplyKind::kStatusBlob, ReplyKind::kStatusXzibit}) {
    EXPECT_EQ(ParseError(TextReply("HAI!!! :3\n"), kind).code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST(ReplyParserTest, ListPayload) {
  const std::string success = StatusReply(MakeStatus(true, ""));
  const Reply list =
      Parse(success + ListPayload(SampleEntries()), ReplyKind::kStatusList);
  ASSERT_EQ(list.entries.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(list.entries[i].message_id, SampleEntries()[i].message_id);
    EXPECT_EQ(list.entries[i].size, SampleEntries()[i].size);
    EXPECT_EQ(list.entries[i].arrival_unix_ms, SampleEntries()[i].arrival_unix_ms);
    EXPECT_EQ(list.entries[i].src_account, SampleEntries()[i].src_account);
    EXPECT_EQ(list.entries[i].src_domain, SampleEntries()[i].src_domain);
  }
  // A FAILURE carries no payload: what follows is not read.
  const std::string failure = StatusReply(MakeStatus(false, "not authenticated"));
  const testing::ReplyResult refused =
      ParseReply(failure + "\0\0\0\x05", ReplyKind::kStatusList, Split::kWhole);
  EXPECT_EQ(refused.consumed, failure.size());
  EXPECT_TRUE(refused.reply.entries.empty());
}

TEST(ReplyParserTest, Limits) {
  const std::string success = StatusReply(MakeStatus(true, ""));
  Limits limits;
  limits.max_list_entries = 2;
  const std::string list = success + ListPayload(SampleEntries());
  const absl::Status too_many = ParseError(list, ReplyKind::kStatusList, limits);
  EXPECT_EQ(too_many.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(too_many.message()), HasSubstr("3 entries"));

  // A FETCH blob may hold the message cap plus the envelope and the log.
  limits = Limits();
  limits.max_message = 100;
  limits.max_log = 10;
  const uint64_t max_blob = 100 + 24 + 4 * 256 + 10;
  std::string blob_header = success;
  AppendU64(blob_header, max_blob + 1);
  const absl::Status blob = ParseError(blob_header, ReplyKind::kStatusBlob, limits);
  EXPECT_EQ(blob.code(), absl::StatusCode::kResourceExhausted);
  const std::string fits = success + BlobPayload(std::string(max_blob, 'm'));
  EXPECT_EQ(
      ParseReply(fits, ReplyKind::kStatusBlob, Split::kRandom, limits).reply.blob.size(),
      max_blob);

  limits = Limits();
  limits.max_xzibit = 10;
  const std::string xzibit = success + XzibitPayload(std::string(11, 'x'), kSignature);
  EXPECT_EQ(ParseError(xzibit, ReplyKind::kStatusXzibit, limits).code(),
            absl::StatusCode::kResourceExhausted);

  // A detail is a str: at most 255 bytes before its NUL.
  std::string long_detail = std::string("FAILURE") + kSignature + std::string(256, 'd');
  EXPECT_EQ(ParseError(long_detail, ReplyKind::kStatus).code(),
            absl::StatusCode::kResourceExhausted);
  // A text reply that never ends is cut off.
  EXPECT_EQ(ParseError(std::string(5000, 't'), ReplyKind::kText).code(),
            absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace cmtp::wire
