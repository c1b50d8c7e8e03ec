// The incremental parser for everything a client or peer server sends to a
// CMTP listener. Fed by partial reads of any size; consumes at most one
// command per call, so pipelined input is left in the caller's buffer.
#ifndef CMTP_LIB_WIRE_REQUEST_PARSER_H_
#define CMTP_LIB_WIRE_REQUEST_PARSER_H_

#include <cstddef>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "lib/wire/command.h"
#include "lib/wire/limits.h"

namespace cmtp::wire {

class RequestParser {
 public:
  enum class State {
    kNeedMore,      // everything given was consumed; feed more bytes
    kCommandReady,  // a whole command is parsed: TakeCommand()
    kError,         // the stream is broken: error() says why; close after replying
  };
  struct Result {
    State state;
    // Bytes of the input that belong to what was parsed. kNeedMore: all of
    // it. kCommandReady: through the command's last byte (what follows stays
    // with the caller). kError: through the byte that made the error certain,
    // the same however the input was split.
    size_t consumed;
  };

  explicit RequestParser(const Limits& limits);
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Parses from `data`. Stops after one complete command (kCommandReady) or
  // at the first error. Lone empty commands (a bare NUL, or an empty line
  // ending "\n" / "\r\n") are skipped.
  Result Feed(std::string_view data);

  // Moves out the command after kCommandReady and resets for the next one.
  Command TakeCommand();

  // After kError: InvalidArgument (malformed, unknown command) or
  // ResourceExhausted (a limit), with a message fit for a FAILURE reply.
  const absl::Status& error() const;

  // True while the body of a MAIL is being read: its header has passed every
  // limit check. The gateway uses it to apply the data timeout.
  bool InMailPayload() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cmtp::wire

#endif  // CMTP_LIB_WIRE_REQUEST_PARSER_H_
