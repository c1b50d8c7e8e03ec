// Test helpers: drive the parsers over a whole byte stream with different
// ways of splitting it into reads, so every test can check that the result
// does not depend on how the bytes arrived.
#ifndef CMTP_TESTS_UNIT_WIRE_PARSE_HELPERS_H_
#define CMTP_TESTS_UNIT_WIRE_PARSE_HELPERS_H_

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "lib/wire/command.h"
#include "lib/wire/limits.h"
#include "lib/wire/reply.h"
#include "lib/wire/reply_parser.h"
#include "lib/wire/request_parser.h"

namespace cmtp::wire::testing {

enum class Split { kWhole, kByteAtATime, kRandom };

inline const Split kAllSplits[] = {Split::kWhole, Split::kByteAtATime, Split::kRandom};

// Hands out the next read: the rest of the input, one byte, or a random
// number of bytes (1..64, sometimes 0 to check empty reads are harmless).
class ReadSizer {
 public:
  ReadSizer(Split split, uint32_t seed) : split_(split), random_(seed) {}
  size_t Next(size_t available) {
    switch (split_) {
      case Split::kWhole:
        return available;
      case Split::kByteAtATime:
        return available == 0 ? 0 : 1;
      case Split::kRandom:
        return std::min(available, std::uniform_int_distribution<size_t>(0, 64)(random_));
    }
    return available;
  }

 private:
  Split split_;
  std::mt19937 random_;
};

struct StreamResult {
  std::vector<Command> commands;
  RequestParser::State final_state = RequestParser::State::kNeedMore;
  absl::Status error;
  size_t consumed = 0;  // bytes of the input the parser took
};

// Parses every command in `input` the way a server loop does: feed what was
// read, drop the consumed bytes, take each ready command.
inline StreamResult ParseStream(std::string_view input, Split split,
                                const Limits& limits = Limits(), uint32_t seed = 1) {
  RequestParser parser(limits);
  ReadSizer sizer(split, seed);
  StreamResult result;
  std::string buffer;  // read but not yet consumed
  size_t read = 0;
  while (true) {
    const size_t n = sizer.Next(input.size() - read);
    buffer.append(input.substr(read, n));
    read += n;
    // Pipelined commands stay in the buffer: feed until it stops yielding.
    while (true) {
      const RequestParser::Result r = parser.Feed(buffer);
      EXPECT_LE(r.consumed, buffer.size());
      buffer.erase(0, r.consumed);
      result.consumed += r.consumed;
      result.final_state = r.state;
      if (r.state == RequestParser::State::kError) {
        result.error = parser.error();
        return result;
      }
      if (r.state == RequestParser::State::kNeedMore) {
        if (!buffer.empty()) {
          ADD_FAILURE() << "kNeedMore must consume all it was given";
          return result;
        }
        break;
      }
      result.commands.push_back(parser.TakeCommand());
    }
    if (read == input.size() && buffer.empty()) return result;
  }
}

struct ReplyResult {
  ReplyParser::State state = ReplyParser::State::kNeedMore;
  Reply reply;
  absl::Status error;
  size_t consumed = 0;
};

// Parses one reply of `kind` from the front of `input`.
inline ReplyResult ParseReply(std::string_view input, ReplyKind kind, Split split,
                              const Limits& limits = Limits(), uint32_t seed = 1) {
  ReplyParser parser(kind, limits);
  ReadSizer sizer(split, seed);
  ReplyResult result;
  std::string buffer;
  size_t read = 0;
  while (true) {
    const size_t n = sizer.Next(input.size() - read);
    buffer.append(input.substr(read, n));
    read += n;
    const ReplyParser::Result r = parser.Feed(buffer);
    EXPECT_LE(r.consumed, buffer.size());
    buffer.erase(0, r.consumed);
    result.consumed += r.consumed;
    result.state = r.state;
    if (r.state == ReplyParser::State::kError) {
      result.error = parser.error();
      return result;
    }
    if (r.state == ReplyParser::State::kReplyReady) {
      result.reply = parser.TakeReply();
      return result;
    }
    if (!buffer.empty()) {
      ADD_FAILURE() << "kNeedMore must consume all it was given";
      return result;
    }
    if (read == input.size()) return result;
  }
}

inline void ExpectSameCommand(const Command& a, const Command& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.account, b.account);
  EXPECT_EQ(a.domain, b.domain);
  EXPECT_EQ(a.argument, b.argument);
  EXPECT_EQ(a.signature, b.signature);
  EXPECT_EQ(a.crypto_type, b.crypto_type);
  EXPECT_EQ(a.public_key, b.public_key);
  EXPECT_EQ(a.login_public_key, b.login_public_key);
  EXPECT_EQ(a.xzibit, b.xzibit);
  EXPECT_EQ(a.request_bytes, b.request_bytes);
  const MailMessage& x = a.mail;
  const MailMessage& y = b.mail;
  EXPECT_EQ(x.header.crypto_type, y.header.crypto_type);
  EXPECT_EQ(x.header.attachment_count, y.header.attachment_count);
  EXPECT_EQ(x.header.log_len, y.header.log_len);
  EXPECT_EQ(x.header.body_len, y.header.body_len);
  EXPECT_EQ(x.header.dst_account, y.header.dst_account);
  EXPECT_EQ(x.header.dst_domain, y.header.dst_domain);
  EXPECT_EQ(x.header.src_account, y.header.src_account);
  EXPECT_EQ(x.header.src_domain, y.header.src_domain);
  EXPECT_EQ(x.bytes, y.bytes);
  EXPECT_EQ(x.log(), y.log());
  EXPECT_EQ(x.body(), y.body());
  ASSERT_EQ(x.attachment_spans.size(), y.attachment_spans.size());
  for (size_t i = 0; i < x.attachment_spans.size(); ++i) {
    EXPECT_EQ(x.attachment(i), y.attachment(i));
  }
}

inline void ExpectSameReply(const Reply& a, const Reply& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.raw, b.raw);
  EXPECT_EQ(a.text, b.text);
  EXPECT_EQ(a.has_status, b.has_status);
  EXPECT_EQ(a.status.success, b.status.success);
  EXPECT_EQ(a.status.signature, b.status.signature);
  EXPECT_EQ(a.status.detail, b.status.detail);
  EXPECT_EQ(a.key_available, b.key_available);
  EXPECT_EQ(a.crypto_type, b.crypto_type);
  EXPECT_EQ(a.public_key, b.public_key);
  EXPECT_EQ(a.signature, b.signature);
  EXPECT_EQ(a.login_version, b.login_version);
  EXPECT_EQ(a.xzibit, b.xzibit);
  EXPECT_EQ(a.salt, b.salt);
  EXPECT_EQ(a.opslimit, b.opslimit);
  EXPECT_EQ(a.memlimit, b.memlimit);
  EXPECT_EQ(a.challenge, b.challenge);
  EXPECT_EQ(a.signed_part, b.signed_part);
  EXPECT_EQ(a.blob, b.blob);
  ASSERT_EQ(a.entries.size(), b.entries.size());
  for (size_t i = 0; i < a.entries.size(); ++i) {
    EXPECT_EQ(a.entries[i].message_id, b.entries[i].message_id);
    EXPECT_EQ(a.entries[i].size, b.entries[i].size);
    EXPECT_EQ(a.entries[i].arrival_unix_ms, b.entries[i].arrival_unix_ms);
    EXPECT_EQ(a.entries[i].src_account, b.entries[i].src_account);
    EXPECT_EQ(a.entries[i].src_domain, b.entries[i].src_domain);
  }
}

// Bytes of a std::string literal that may contain NULs.
inline std::string Bytes(std::string_view s) { return std::string(s); }

}  // namespace cmtp::wire::testing

#endif  // CMTP_TESTS_UNIT_WIRE_PARSE_HELPERS_H_
