// libFuzzer target for RequestParser. Input: [read-size seed][limits
// selector][stream...]. Checks, for any stream:
// - feeding it in random reads gives exactly what feeding it whole gives;
// - a parser never claims bytes it was not given, and kNeedMore takes all;
// - every parsed command re-serializes to its own bytes and parses back to
//   itself; a MAIL's id is computable.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/wire/message_id.h"
#include "lib/wire/request_parser.h"
#include "lib/wire/serializer.h"
#include "tests/fuzz/fuzz_support.h"

namespace cmtp::wire::fuzz {
namespace {

std::string Fingerprint(const Command& c) {
  std::string out;
  AddField(out, CommandWord(c.kind));
  AddField(out, c.account);
  AddField(out, c.domain);
  AddField(out, c.argument);
  AddField(out, c.signature);
  AddField(out, std::to_string(c.crypto_type));
  AddField(out, c.public_key);
  AddField(out, c.login_public_key);
  AddField(out, c.xzibit);
  const MailMessage& m = c.mail;
  AddField(out, std::to_string(m.header.crypto_type));
  AddField(out, std::to_string(m.header.attachment_count));
  AddField(out, std::to_string(m.header.log_len));
  AddField(out, std::to_string(m.header.body_len));
  AddField(out, m.header.dst_account);
  AddField(out, m.header.dst_domain);
  AddField(out, m.header.src_account);
  AddField(out, m.header.src_domain);
  AddField(out, m.bytes);
  AddField(out, m.log());
  AddField(out, m.body());
  for (size_t i = 0; i < m.attachment_spans.size(); ++i) AddField(out, m.attachment(i));
  return out;
}

struct Outcome {
  std::vector<Command> commands;
  std::string error;  // code and message; empty without an error
  size_t consumed = 0;
};

Outcome Run(std::string_view stream, const Limits& limits, uint8_t seed) {
  RequestParser parser(limits);
  ReadSizer sizer(seed);
  Outcome outcome;
  std::string buffer;
  size_t read = 0;
  while (true) {
    const size_t n = sizer.Next(stream.size() - read);
    buffer.append(stream.substr(read, n));
    read += n;
    while (true) {
      const RequestParser::Result r = parser.Feed(buffer);
      Require(r.consumed <= buffer.size(), "consumed more than given");
      buffer.erase(0, r.consumed);
      outcome.consumed += r.consumed;
      if (r.state == RequestParser::State::kError) {
        Require(!parser.error().ok(), "kError with an OK status");
        outcome.error = parser.error().ToString();
        return outcome;
      }
      if (r.state == RequestParser::State::kNeedMore) {
        Require(buffer.empty(), "kNeedMore left input unconsumed");
        break;
      }
      outcome.commands.push_back(parser.TakeCommand());
    }
    if (read == stream.size()) return outcome;
  }
}

void CheckRoundTrip(const Command& command, const Limits& limits) {
  const std::string bytes = SerializeCommand(command);
  if (command.kind == CommandKind::kMail) {
    const MailMessage& m = command.mail;
    std::vector<std::string> attachments;
    for (size_t i = 0; i < m.attachment_spans.size(); ++i) {
      attachments.emplace_back(m.attachment(i));
    }
    Require(SerializeMessage(m.header, m.log(), m.body(), attachments) == m.bytes,
            "MAIL does not re-serialize to its message bytes");
    Require(IsMessageId(MessageId(m)), "message id has the wrong shape");
  } else if (command.request_bytes.back() == '\0') {
    // Line-terminated commands are re-serialized with NUL; all others must
    // come back byte for byte.
    Require(bytes == command.request_bytes, "command does not re-serialize to its bytes");
  }
  const Outcome again = Run(bytes, limits, 0);
  Require(
      again.error.empty() && again.commands.size() == 1 && again.consumed == bytes.size(),
      "a serialized command does not parse back");
  Require(Fingerprint(again.commands[0]) == Fingerprint(command),
          "a serialized command parses to something else");
}

}  // namespace
}  // namespace cmtp::wire::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cmtp::wire::fuzz;
  if (size < 2) return 0;
  const uint8_t seed = data[0];
  const cmtp::wire::Limits limits = LimitsFromSelector(data[1]);
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  const Outcome whole = Run(stream, limits, 0);
  const Outcome split = Run(stream, limits, seed == 0 ? 1 : seed);
  Require(whole.error == split.error, "the error depends on how the input was split");
  Require(whole.consumed == split.consumed, "consumed depends on the split");
  Require(whole.commands.size() == split.commands.size(),
          "command count depends on the split");
  for (size_t i = 0; i < whole.commands.size(); ++i) {
    Require(Fingerprint(whole.commands[i]) == Fingerprint(split.commands[i]),
            "a command depends on the split");
    Require(whole.commands[i].request_bytes == split.commands[i].request_bytes,
            "request bytes depend on the split");
    CheckRoundTrip(whole.commands[i], limits);
  }
  return 0;
}
