// libFuzzer target for ReplyParser. Input: [reply kind][read-size seed]
// [limits selector][bytes...]. Checks, for any bytes and every kind:
// - feeding them in random reads gives exactly what feeding them whole gives;
// - a parser never claims bytes it was not given;
// - every reply it accepts re-serializes to exactly the bytes it read.
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/wire/reply_parser.h"
#include "lib/wire/serializer.h"
#include "tests/fuzz/fuzz_support.h"

namespace cmtp::wire::fuzz {
namespace {

constexpr ReplyKind kKinds[] = {
    ReplyKind::kText,       ReplyKind::kKeyBlock,     ReplyKind::kLogin,
    ReplyKind::kChallenge,  ReplyKind::kStatus,       ReplyKind::kStatusList,
    ReplyKind::kStatusBlob, ReplyKind::kStatusXzibit,
};

std::string Fingerprint(const Reply& r) {
  std::string out;
  AddField(out, std::to_string(static_cast<int>(r.kind)));
  AddField(out, r.raw);
  AddField(out, r.text);
  AddField(out, r.has_status ? "status" : "");
  AddField(out, r.status.success ? "success" : "failure");
  AddField(out, r.status.signature);
  AddField(out, r.status.detail);
  AddField(out, r.key_available ? "key" : "");
  AddField(out, std::to_string(r.crypto_type));
  AddField(out, r.public_key);
  AddField(out, r.signature);
  AddField(out, std::to_string(r.login_version));
  AddField(out, r.xzibit);
  AddField(out, r.salt);
  AddField(out, std::to_string(r.opslimit));
  AddField(out, std::to_string(r.memlimit));
  AddField(out, r.challenge);
  AddField(out, r.signed_part);
  AddField(out, r.blob);
  for (const ListEntry& e : r.entries) {
    AddField(out, e.message_id);
    AddField(out, std::to_string(e.size));
    AddField(out, std::to_string(e.arrival_unix_ms));
    AddField(out, e.src_account);
    AddField(out, e.src_domain);
  }
  return out;
}

struct Outcome {
  ReplyParser::State state = ReplyParser::State::kNeedMore;
  std::string fingerprint;
  std::string error;
  size_t consumed = 0;
  Reply reply;
};

Outcome Run(std::string_view bytes, ReplyKind kind, const Limits& limits, uint8_t seed) {
  ReplyParser parser(kind, limits);
  ReadSizer sizer(seed);
  Outcome outcome;
  size_t read = 0;
  while (true) {
    const size_t n = sizer.Next(bytes.size() - read);
    const ReplyParser::Result r = parser.Feed(bytes.substr(read, n));
    Require(r.consumed <= n, "consumed more than given");
    read += r.consumed;
    outcome.consumed += r.consumed;
    outcome.state = r.state;
    if (r.state == ReplyParser::State::kError) {
      Require(!parser.error().ok(), "kError with an OK status");
      outcome.error = parser.error().ToString();
      return outcome;
    }
    if (r.state == ReplyParser::State::kReplyReady) {
      outcome.reply = parser.TakeReply();
      outcome.fingerprint = Fingerprint(outcome.reply);
      return outcome;
    }
    Require(r.consumed == n, "kNeedMore left input unconsumed");
    if (read == bytes.size()) return outcome;
  }
}

// The bytes a server would send for `r`, built with the serializer.
std::string Reserialize(const Reply& r) {
  if (r.has_status) {
    std::string out = StatusReply(r.status);
    if (!r.status.success) return out;
    switch (r.kind) {
      case ReplyKind::kStatusList:
        return out + ListPayload(r.entries);
      case ReplyKind::kStatusBlob:
        return out + BlobPayload(r.blob);
      case ReplyKind::kStatusXzibit:
        return out + XzibitPayload(r.xzibit, r.signature);
      default:
        return out;
    }
  }
  switch (r.kind) {
    case ReplyKind::kText:
      return TextReply(r.text);
    case ReplyKind::kKeyBlock:
      return r.key_available ? KeyBlockReply(r.public_key, r.signature)
                             : NotAvailableReply(r.signature);
    case ReplyKind::kLogin:
      if (r.login_version == 1) return LoginV1Reply(r.xzibit, r.signature);
      if (r.login_version == 2) {
        return LoginChallengeReply(
            LoginChallengeSignedBytes(r.salt, r.opslimit, r.memlimit, r.challenge),
            r.signature);
      }
      return NotAvailableReply(r.signature);
    case ReplyKind::kChallenge:
      return r.challenge;
    default:
      Require(false, "a status kind produced a reply without a status");
      return "";
  }
}

}  // namespace
}  // namespace cmtp::wire::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cmtp::wire::fuzz;
  if (size < 3) return 0;
  const cmtp::wire::ReplyKind kind = kKinds[data[0] % std::size(kKinds)];
  const uint8_t seed = data[1];
  const cmtp::wire::Limits limits = LimitsFromSelector(data[2]);
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 3, size - 3);

  const Outcome whole = Run(bytes, kind, limits, 0);
  const Outcome split = Run(bytes, kind, limits, seed == 0 ? 1 : seed);
  Require(whole.state == split.state, "the state depends on how the input was split");
  Require(whole.error == split.error, "the error depends on the split");
  Require(whole.consumed == split.consumed, "consumed depends on the split");
  Require(whole.fingerprint == split.fingerprint, "the reply depends on the split");
  if (whole.state == cmtp::wire::ReplyParser::State::kReplyReady) {
    Require(whole.reply.raw == bytes.substr(0, whole.consumed),
            "raw is not the bytes read");
    Require(Reserialize(whole.reply) == whole.reply.raw,
            "a reply does not re-serialize to its bytes");
  }
  return 0;
}
