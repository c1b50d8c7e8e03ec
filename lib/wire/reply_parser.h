// The incremental parser for server replies, used by the CLI and the relay.
#ifndef CMTP_LIB_WIRE_REPLY_PARSER_H_
#define CMTP_LIB_WIRE_REPLY_PARSER_H_

#include <cstddef>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "lib/wire/limits.h"
#include "lib/wire/reply.h"

namespace cmtp::wire {

class ReplyParser {
 public:
  enum class State { kNeedMore, kReplyReady, kError };
  struct Result {
    State state;
    size_t consumed;
  };

  ReplyParser(ReplyKind expected, const Limits& limits);
  ~ReplyParser();
  ReplyParser(const ReplyParser&) = delete;
  ReplyParser& operator=(const ReplyParser&) = delete;

  // Parses from `data`; stops at the end of the reply, so bytes after it stay
  // with the caller. A status reply (SUCCESS/FAILURE) is accepted whatever
  // the expected kind: a server may refuse any command. For kChallenge that
  // leaves a 2^-56 chance of reading a nonce that starts "SUCCESS" or
  // "FAILURE" as a status.
  Result Feed(std::string_view data);
  // After kReplyReady; the parser is then spent (make a new one per reply).
  Reply TakeReply();
  const absl::Status& error() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cmtp::wire

#endif  // CMTP_LIB_WIRE_REPLY_PARSER_H_
