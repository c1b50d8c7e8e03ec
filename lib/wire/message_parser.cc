#include "lib/wire/message_parser.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/wire/request_parser.h"

namespace cmtp::wire {

absl::StatusOr<MailMessage> ParseMessage(std::string_view message_bytes,
                                         const Limits& limits) {
  // The one MAIL parser: announce a MAIL, then hand it the message bytes.
  RequestParser parser(limits);
  constexpr std::string_view kMailWord("MAIL\0", 5);
  RequestParser::Result result = parser.Feed(kMailWord);
  if (result.state != RequestParser::State::kNeedMore ||
      result.consumed != kMailWord.size()) {
    return error::Internal("the request parser refused a bare MAIL word");
  }
  result = parser.Feed(message_bytes);
  switch (result.state) {
    case RequestParser::State::kError:
      return parser.error();
    case RequestParser::State::kNeedMore:
      return error::InvalidInput(
          absl::StrCat("message truncated after ", message_bytes.size(), " bytes"));
    case RequestParser::State::kCommandReady:
      break;
  }
  if (result.consumed != message_bytes.size()) {
    return error::InvalidInput(absl::StrCat(message_bytes.size() - result.consumed,
                                            " bytes after the end of the message"));
  }
  return std::move(parser.TakeCommand().mail);
}

}  // namespace cmtp::wire
