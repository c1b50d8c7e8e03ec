#include "lib/wire/request_parser.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/wire/message_parser.h"
#include "lib/wire/serializer.h"
#include "tests/unit/wire/parse_helpers.h"

namespace cmtp::wire {
namespace {

using ::testing::HasSubstr;
using testing::kAllSplits;
using testing::ParseStream;
using testing::Split;

constexpr uint32_t kSeeds[] = {1, 2, 3, 42, 1234};

std::string Filled(size_t n, char c) { return std::string(n, c); }

MailHeader SampleHeader() {
  MailHeader header;
  header.dst_account = "bob";
  header.dst_domain = "hawaii.edu";
  header.src_account = "alice";
  header.src_domain = "example.org";
  return header;
}

Command MailCommand(std::string_view log, std::string_view body,
                    const std::vector<std::string>& attachments) {
  Command command;
  command.kind = CommandKind::kMail;
  command.mail.bytes = SerializeMessage(SampleHeader(), log, body, attachments);
  return command;
}

// One command of every kind, with arguments that exercise the framing.
std::vector<Command> EveryCommand() {
  std::vector<Command> commands;
  for (CommandKind kind :
       {CommandKind::kOhai, CommandKind::kNoop, CommandKind::kHelp, CommandKind::kObai,
        CommandKind::kChallenge, CommandKind::kList}) {
    Command command;
    command.kind = kind;
    commands.push_back(command);
  }
  Command key_request;
  key_request.kind = CommandKind::kKeyRequest;
  key_request.account = "bob";
  key_request.domain = "hawaii.edu";
  commands.push_back(key_request);

  Command server_key;
  server_key.kind = CommandKind::kKeyRequest;
  commands.push_back(server_key);

  Command login;
  login.kind = CommandKind::kLogin;
  login.account = "alice";
  commands.push_back(login);

  Command reg;
  reg.kind = CommandKind::kRegister;
  reg.account = "carol";
  reg.domain = "example.org";
  reg.argument = "invite-123";
  reg.crypto_type = 1;
  reg.public_key = Filled(32, '\x01');
  reg.login_public_key = Filled(32, '\0');
  reg.xzibit = std::string("\0\0\0\x02xzibit\0bytes", 16);
  reg.signature = Filled(64, '\0');
  commands.push_back(reg);

  Command reg_without_invite = reg;
  reg_without_invite.argument.clear();
  reg_without_invite.xzibit.clear();
  commands.push_back(reg_without_invite);

  for (CommandKind kind : {CommandKind::kAuth, CommandKind::kLoginProof}) {
    Command proof;
    proof.kind = kind;
    proof.account = "alice";
    proof.signature = Filled(64, '\xff');
    commands.push_back(proof);
  }
  for (CommandKind kind : {CommandKind::kFetch, CommandKind::kDelete}) {
    Command by_id;
    by_id.kind = kind;
    by_id.argument = "0123456789abcdef0123456789abcdef";
    commands.push_back(by_id);
  }
  commands.push_back(MailCommand("", "sealed body", {}));
  commands.push_back(MailCommand(std::string("hop1\0hop2\0", 10), std::string("b\0dy", 4),
                                 {"first", "", std::string(1000, 'x')}));
  commands.push_back(MailCommand("", "", {}));
  return commands;
}

// What the parser should produce for `sent`: the same fields, plus the
// bytes it was read from.
Command Expected(const Command& sent) {
  Command expected = sent;
  if (sent.kind == CommandKind::kMail) {
    absl::StatusOr<MailMessage> message = ParseMessage(sent.mail.bytes, Limits());
    EXPECT_TRUE(message.ok()) << message.status();
    if (message.ok()) expected.mail = *std::move(message);
  } else {
    expected.request_bytes = SerializeCommand(sent);
  }
  return expected;
}

class RoundTripTest : public ::testing::TestWithParam<Split> {};

TEST_P(RoundTripTest, EveryCommandAlone) {
  for (const Command& sent : EveryCommand()) {
    SCOPED_TRACE(CommandWord(sent.kind));
    const std::string bytes = SerializeCommand(sent);
    for (uint32_t seed : kSeeds) {
      const testing::StreamResult result = ParseStream(bytes, GetParam(), Limits(), seed);
      ASSERT_EQ(result.commands.size(), 1u) << result.error;
      EXPECT_EQ(result.consumed, bytes.size());
      testing::ExpectSameCommand(result.commands[0], Expected(sent));
      EXPECT_EQ(SerializeCommand(result.commands[0]), bytes);
    }
  }
}

TEST_P(RoundTripTest, AllCommandsPipelinedWithStrayNuls) {
  std::string stream;
  std::vector<Command> sent = EveryCommand();
  for (const Command& command : sent) {
    stream += SerializeCommand(command);
    stream.push_back('\0');  // ignored, like the reference client's
  }
  for (uint32_t seed : kSeeds) {
    const testing::StreamResult result = ParseStream(stream, GetParam(), Limits(), seed);
    ASSERT_EQ(result.commands.size(), sent.size()) << result.error;
    EXPECT_EQ(result.consumed, stream.size());
    for (size_t i = 0; i < sent.size(); ++i) {
      SCOPED_TRACE(i);
      testing::ExpectSameCommand(result.commands[i], Expected(sent[i]));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EverySplit, RoundTripTest, ::testing::ValuesIn(kAllSplits));

TEST(RequestParserTest, MailSpansPointIntoTheMessageBytes) {
  const Command sent = MailCommand(std::string("hop\0", 4), "BODY", {"one", "three"});
  const testing::StreamResult result =
      ParseStream(SerializeCommand(sent), Split::kByteAtATime);
  ASSERT_EQ(result.commands.size(), 1u) << result.error;
  const MailMessage& mail = result.commands[0].mail;
  EXPECT_EQ(mail.header.attachment_count, 2u);
  EXPECT_EQ(mail.header.log_len, 4u);
  EXPECT_EQ(mail.header.body_len, 4u);
  EXPECT_EQ(mail.log(), std::string("hop\0", 4));
  EXPECT_EQ(mail.body(), "BODY");
  ASSERT_EQ(mail.attachment_spans.size(), 2u);
  EXPECT_EQ(mail.attachment(0), "one");
  EXPECT_EQ(mail.attachment(1), "three");
  // The last attachment ends the message.
  EXPECT_EQ(mail.attachment_spans[1].offset + 5, mail.bytes.size());
  EXPECT_EQ(ReadU64(mail.bytes.data() + mail.attachment_spans[1].offset - 8), 5u);
}

TEST(RequestParserTest, LineTerminatorsForArgumentlessCommands) {
  const testing::StreamResult result =
      ParseStream("OHAI\r\nNOOP\nHELP\r\nOBAI\nCHALLENGE\nLIST\r\n", Split::kWhole);
  ASSERT_EQ(result.commands.size(), 6u) << result.error;
  EXPECT_EQ(result.commands[0].kind, CommandKind::kOhai);
  EXPECT_EQ(result.commands[0].request_bytes, "OHAI\r\n");
  EXPECT_EQ(result.commands[1].kind, CommandKind::kNoop);
  EXPECT_EQ(result.commands[1].request_bytes, "NOOP\n");
  EXPECT_EQ(result.commands[2].kind, CommandKind::kHelp);
  EXPECT_EQ(result.commands[3].kind, CommandKind::kObai);
  EXPECT_EQ(result.commands[4].kind, CommandKind::kChallenge);
  EXPECT_EQ(result.commands[5].kind, CommandKind::kList);
  EXPECT_EQ(result.commands[5].request_bytes, "LIST\r\n");
}

TEST(RequestParserTest, OhaiCrLfFedByteByByte) {
  RequestParser parser{Limits()};
  const std::string input = "OHAI\r\n";
  for (size_t i = 0; i + 1 < input.size(); ++i) {
    const RequestParser::Result result = parser.Feed(input.substr(i, 1));
    ASSERT_EQ(result.state, RequestParser::State::kNeedMore);
    ASSERT_EQ(result.consumed, 1u);
  }
  const RequestParser::Result result = parser.Feed("\n");
  ASSERT_EQ(result.state, RequestParser::State::kCommandReady);
  EXPECT_EQ(parser.TakeCommand().kind, CommandKind::kOhai);
}

TEST(RequestParserTest, EmptyCommandsAreSkipped) {
  const testing::StreamResult result =
      ParseStream(std::string("\0\0\n\r\nNOOP\0\0", 11), Split::kWhole);
  ASSERT_EQ(result.commands.size(), 1u) << result.error;
  EXPECT_EQ(result.commands[0].kind, CommandKind::kNoop);
  EXPECT_EQ(result.commands[0].request_bytes, std::string("NOOP\0", 5));
  EXPECT_EQ(result.final_state, RequestParser::State::kNeedMore);
}

TEST(RequestParserTest, OneCommandPerFeed) {
  RequestParser parser{Limits()};
  const std::string input("OHAI\0NOOP\0", 10);
  RequestParser::Result result = parser.Feed(input);
  EXPECT_EQ(result.state, RequestParser::State::kCommandReady);
  EXPECT_EQ(result.consumed, 5u);
  // Until the command is taken, nothing more is consumed.
  result = parser.Feed(std::string_view(input).substr(5));
  EXPECT_EQ(result.state, RequestParser::State::kCommandReady);
  EXPECT_EQ(result.consumed, 0u);
  EXPECT_EQ(parser.TakeCommand().kind, CommandKind::kOhai);
  result = parser.Feed(std::string_view(input).substr(5));
  EXPECT_EQ(result.state, RequestParser::State::kCommandReady);
  EXPECT_EQ(result.consumed, 5u);
  EXPECT_EQ(parser.TakeCommand().kind, CommandKind::kNoop);
}

TEST(RequestParserTest, ServerKeyRequestHasNoDomain) {
  const std::string input("KEYREQUEST\0\0OHAI\0", 17);
  const testing::StreamResult result = ParseStream(input, Split::kByteAtATime);
  ASSERT_EQ(result.commands.size(), 2u) << result.error;
  EXPECT_EQ(result.commands[0].kind, CommandKind::kKeyRequest);
  EXPECT_TRUE(result.commands[0].account.empty());
  EXPECT_TRUE(result.commands[0].domain.empty());
  EXPECT_EQ(result.commands[0].request_bytes, input.substr(0, 12));
  EXPECT_EQ(result.commands[1].kind, CommandKind::kOhai);
}

TEST(RequestParserTest, InMailPayloadOnlyAfterTheHeaderPassed) {
  RequestParser parser{Limits()};
  const std::string bytes = SerializeCommand(MailCommand("", "body", {}));
  EXPECT_FALSE(parser.InMailPayload());
  parser.Feed(std::string_view(bytes).substr(0, 5 + 23));
  EXPECT_FALSE(parser.InMailPayload());
  parser.Feed(std::string_view(bytes).substr(5 + 23, 1));
  EXPECT_TRUE(parser.InMailPayload());
  const RequestParser::Result result =
      parser.Feed(std::string_view(bytes).substr(5 + 24));
  EXPECT_EQ(result.state, RequestParser::State::kCommandReady);
  parser.TakeCommand();
  EXPECT_FALSE(parser.InMailPayload());
}

TEST(RequestParserTest, TruncatedCommandsNeedMore) {
  for (const Command& sent : EveryCommand()) {
    const std::string bytes = SerializeCommand(sent);
    for (size_t n = 0; n < bytes.size(); ++n) {
      RequestParser parser{Limits()};
      const RequestParser::Result result =
          parser.Feed(std::string_view(bytes).substr(0, n));
      ASSERT_EQ(result.state, RequestParser::State::kNeedMore)
          << CommandWord(sent.kind) << " prefix " << n;
      ASSERT_EQ(result.consumed, n);
    }
  }
}

// --- Garbage -------------------------------------------------------------

struct GarbageCase {
  std::string input;
  size_t consumed;  // the bad byte is the last one taken
};

TEST(RequestParserTest, GarbageIsRefusedAtTheFirstBadByte) {
  const std::vector<GarbageCase> cases = {
      {"GET / HTTP/1.1\r\n", 4},
      {"hello", 1},
      {"\x16\x03\x01\x02\x00", 1},  // a TLS ClientHello
      {"OHAI \0", 5},
      {"OHAI\rX", 6},
  };
  for (const GarbageCase& garbage : cases) {
    SCOPED_TRACE(garbage.input);
    RequestParser parser{Limits()};
    const RequestParser::Result result = parser.Feed(garbage.input);
    EXPECT_EQ(result.state, RequestParser::State::kError);
    EXPECT_EQ(result.consumed, garbage.consumed);
    EXPECT_EQ(parser.error().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(parser.error().message()), HasSubstr("unknown command"));
    // A broken stream stays broken.
    EXPECT_EQ(parser.Feed("OHAI\0").state, RequestParser::State::kError);
  }
}

TEST(RequestParserTest, UnknownWord) {
  for (Split split : kAllSplits) {
    const testing::StreamResult result = ParseStream(std::string("FOO\0", 4), split);
    EXPECT_EQ(result.final_state, RequestParser::State::kError);
    EXPECT_EQ(result.error.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(result.error.message(), "unknown command");
  }
}

TEST(RequestParserTest, CommandsWithArgumentsNeedNul) {
  for (std::string input : {"MAIL\n", "KEYREQUEST\r\n", "LOGIN\n", "FETCH\n"}) {
    const testing::StreamResult result = ParseStream(input, Split::kWhole);
    EXPECT_EQ(result.final_state, RequestParser::State::kError) << input;
    EXPECT_EQ(result.error.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(result.error.message()), HasSubstr("NUL"));
  }
}

// --- Limits --------------------------------------------------------------

void ExpectLimitError(const testing::StreamResult& result, std::string_view fragment) {
  EXPECT_EQ(result.final_state, RequestParser::State::kError);
  EXPECT_EQ(result.error.code(), absl::StatusCode::kResourceExhausted) << result.error;
  EXPECT_THAT(std::string(result.error.message()), HasSubstr(std::string(fragment)));
}

TEST(RequestParserLimitsTest, CommandWordLength) {
  const std::string long_word(17, 'A');
  const testing::StreamResult result = ParseStream(long_word + '\0', Split::kWhole);
  ExpectLimitError(result, "longer than 16 bytes");
  EXPECT_EQ(result.consumed, 17u);  // refused at the 17th letter, before any NUL

  Limits short_words;
  short_words.max_command_word = 4;
  EXPECT_EQ(
      ParseStream(std::string("OHAI\0", 5), Split::kWhole, short_words).commands.size(),
      1u);
  ExpectLimitError(ParseStream(std::string("LOGIN\0a\0", 8), Split::kWhole, short_words),
                   "longer than 4 bytes");
}

TEST(RequestParserLimitsTest, StrLength) {
  const std::string at_limit = std::string("LOGIN\0", 6) + Filled(255, 'a') + '\0';
  const testing::StreamResult ok = ParseStream(at_limit, Split::kWhole);
  ASSERT_EQ(ok.commands.size(), 1u) << ok.error;
  EXPECT_EQ(ok.commands[0].account, Filled(255, 'a'));

  // 256 bytes without a NUL: refused without waiting for one.
  for (Split split : kAllSplits) {
    const std::string over = std::string("KEYREQUEST\0", 11) + Filled(300, 'b');
    const testing::StreamResult result = ParseStream(over, split);
    ExpectLimitError(result, "account longer than 255 bytes");
    // Refused at the 256th byte, however the input was split.
    EXPECT_EQ(result.consumed, 11u + 256u);
  }
  const std::string long_domain =
      std::string("KEYREQUEST\0bob\0", 15) + Filled(300, 'd') + '\0';
  ExpectLimitError(ParseStream(long_domain, Split::kRandom), "domain longer than 255");
}

std::string MailHeaderBytes(uint32_t crypto_type, uint32_t attachments, uint64_t log_len,
                            uint64_t body_len) {
  std::string out("MAIL\0", 5);
  AppendU32(out, crypto_type);
  AppendU32(out, attachments);
  AppendU64(out, log_len);
  AppendU64(out, body_len);
  return out;
}

// The rest of a MAIL after its header; any bytes will do, since a refused
// header must stop the parser before it reads them.
const std::string kPayload(4096, 'p');

TEST(RequestParserLimitsTest, BodyOverTheCapIsRefusedRightAfterTheHeader) {
  Limits limits;
  limits.max_message = 1000;
  for (Split split : kAllSplits) {
    const testing::StreamResult result =
        ParseStream(MailHeaderBytes(1, 0, 0, 1001) + kPayload, split, limits);
    ExpectLimitError(result, "exceeds the limit of 1000 bytes");
    EXPECT_EQ(result.consumed, 5u + 24u);  // nothing after the header was read
  }
  // The default cap, with a body length that could overflow a sum.
  const testing::StreamResult huge =
      ParseStream(MailHeaderBytes(1, 64, 0, ~uint64_t{0}) + kPayload, Split::kWhole);
  ExpectLimitError(huge, "exceeds the limit of 33554432 bytes");
  EXPECT_EQ(huge.consumed, 29u);
}

TEST(RequestParserLimitsTest, BodyPlusAttachmentLengthsCountAgainstTheCap) {
  Limits limits;
  limits.max_message = 1000;
  // 984 + 2 × 8 = 1000: allowed; 985 + 16: refused at the header.
  EXPECT_NE(ParseStream(MailHeaderBytes(1, 2, 0, 984), Split::kWhole, limits).final_state,
            RequestParser::State::kError);
  const testing::StreamResult result =
      ParseStream(MailHeaderBytes(1, 2, 0, 985) + kPayload, Split::kWhole, limits);
  ExpectLimitError(result, "1001 bytes exceeds");
  EXPECT_EQ(result.consumed, 29u);
}

TEST(RequestParserLimitsTest, LogOverTheCap) {
  const testing::StreamResult result = ParseStream(
      MailHeaderBytes(1, 0, 64 * 1024 + 1, 10) + kPayload, Split::kByteAtATime);
  ExpectLimitError(result, "log of 65537 bytes exceeds the limit of 65536");
  EXPECT_EQ(result.consumed, 29u);
}

TEST(RequestParserLimitsTest, TooManyAttachments) {
  const testing::StreamResult result =
      ParseStream(MailHeaderBytes(1, 65, 0, 10) + kPayload, Split::kRandom);
  ExpectLimitError(result, "too many attachments: 65 (at most 64)");
  EXPECT_EQ(result.consumed, 29u);
}

TEST(RequestParserLimitsTest, AttachmentLengthIsCheckedWhenItsU64Arrives) {
  Limits limits;
  limits.max_message = 100;
  MailHeader header = SampleHeader();
  // body 50 + 8 + 42 = 100 fits exactly.
  const std::string fits =
      SerializeMessage(header, "", Filled(50, 'b'), {Filled(42, 'a')});
  const testing::StreamResult ok =
      ParseStream(std::string("MAIL\0", 5) + fits, Split::kRandom, limits);
  ASSERT_EQ(ok.commands.size(), 1u) << ok.error;

  // One byte more: refused as soon as the attachment's length is in.
  const std::string over =
      SerializeMessage(header, "", Filled(50, 'b'), {Filled(43, 'a')});
  const std::string input = std::string("MAIL\0", 5) + over;
  for (Split split : kAllSplits) {
    const testing::StreamResult result = ParseStream(input, split, limits);
    ExpectLimitError(result, "attachment 1 of 43 bytes");
    EXPECT_EQ(result.consumed, input.size() - 43);
  }
}

TEST(RequestParserLimitsTest, CryptoTypeOtherThanOne) {
  const testing::StreamResult plaintext =
      ParseStream(MailHeaderBytes(0, 0, 0, 10) + kPayload, Split::kWhole);
  EXPECT_EQ(plaintext.error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(plaintext.error.message(), "crypto type 0 (plaintext) is not supported");
  EXPECT_EQ(plaintext.consumed, 29u);

  const testing::StreamResult other =
      ParseStream(MailHeaderBytes(7, 0, 0, 10) + kPayload, Split::kWhole);
  EXPECT_EQ(other.error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(other.error.message()), HasSubstr("crypto type 7"));

  Command reg = EveryCommand()[9];
  ASSERT_EQ(reg.kind, CommandKind::kRegister);
  reg.crypto_type = 0;
  const testing::StreamResult reg_result =
      ParseStream(SerializeCommand(reg), Split::kWhole);
  EXPECT_EQ(reg_result.error.message(), "crypto type 0 (plaintext) is not supported");
}

TEST(RequestParserLimitsTest, XzibitLength) {
  Command reg = EveryCommand()[9];
  ASSERT_EQ(reg.kind, CommandKind::kRegister);
  reg.xzibit = Filled(4096, 'x');
  EXPECT_EQ(ParseStream(SerializeCommand(reg), Split::kWhole).commands.size(), 1u);
  reg.xzibit = Filled(4097, 'x');
  const std::string bytes = SerializeCommand(reg);
  const testing::StreamResult result = ParseStream(bytes, Split::kRandom);
  ExpectLimitError(result, "xzibit of 4097 bytes exceeds the limit of 4096");
  EXPECT_EQ(result.consumed, bytes.size() - 4097 - 64);
}

// --- ParseMessage --------------------------------------------------------

TEST(ParseMessageTest, ParsesExactlyOneMessage) {
  const std::string bytes = SerializeMessage(SampleHeader(), "log", "body", {"att"});
  absl::StatusOr<MailMessage> message = ParseMessage(bytes, Limits());
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ(message->bytes, bytes);
  EXPECT_EQ(message->header.src_domain, "example.org");
  EXPECT_EQ(message->log(), "log");
  EXPECT_EQ(message->body(), "body");
  EXPECT_EQ(message->attachment(0), "att");

  absl::StatusOr<MailMessage> truncated =
      ParseMessage(std::string_view(bytes).substr(0, bytes.size() - 1), Limits());
  EXPECT_EQ(truncated.status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<MailMessage> trailing = ParseMessage(bytes + "x", Limits());
  EXPECT_EQ(trailing.status().code(), absl::StatusCode::kInvalidArgument);
  Limits small;
  small.max_message = 3;
  EXPECT_EQ(ParseMessage(bytes, small).status().code(),
            absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace cmtp::wire
