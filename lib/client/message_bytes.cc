#include "lib/client/message_bytes.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/wire/command.h"
#include "lib/wire/request_parser.h"

namespace cmtp::client {

absl::StatusOr<ParsedMessageBytes> ParseMessageBytes(std::string_view message_bytes,
                                                     const wire::Limits& limits) {
  constexpr std::string_view kMailWord("MAIL\0", 5);
  std::string request;
  request.reserve(kMailWord.size() + message_bytes.size());
  request.append(kMailWord);
  request.append(message_bytes);

  wire::RequestParser parser(limits);
  const wire::RequestParser::Result result = parser.Feed(request);
  switch (result.state) {
    case wire::RequestParser::State::kError:
      return error::InvalidInput(
          absl::StrCat("not a CMTP message: ", parser.error().message()));
    case wire::RequestParser::State::kNeedMore:
      return error::InvalidInput("not a CMTP message: truncated");
    case wire::RequestParser::State::kCommandReady:
      break;
  }
  wire::Command command = parser.TakeCommand();
  if (command.kind != wire::CommandKind::kMail) {
    return error::Internal(
        "the request parser returned a non-MAIL command for MAIL bytes");
  }
  ParsedMessageBytes parsed;
  parsed.message = std::move(command.mail);
  parsed.trailing_bytes = request.size() - result.consumed;
  return parsed;
}

}  // namespace cmtp::client
