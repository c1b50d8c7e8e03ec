// OHAI, NOOP, HELP, OBAI: fixed text replies (docs/protocol.md).
#include <string>

#include "lib/wire/command.h"
#include "lib/wire/serializer.h"
#include "services/gateway/command_handlers.h"

namespace cmtp::gateway {
namespace {

// Built from the command list itself so HELP cannot fall out of date.
std::string HelpText() {
  using wire::CommandKind;
  std::string text = "Commands:";
  for (CommandKind kind :
       {CommandKind::kOhai, CommandKind::kNoop, CommandKind::kHelp, CommandKind::kObai,
        CommandKind::kKeyRequest, CommandKind::kLogin, CommandKind::kMail,
        CommandKind::kRegister, CommandKind::kChallenge, CommandKind::kAuth,
        CommandKind::kLoginProof, CommandKind::kList, CommandKind::kFetch,
        CommandKind::kDelete}) {
    text += ' ';
    text += wire::CommandWord(kind);
  }
  text += '\n';
  return text;
}

}  // namespace

std::string HandleOhai() { return wire::TextReply(wire::kOhaiReply); }

std::string HandleNoop() { return wire::TextReply(wire::kNoopReply); }

std::string HandleHelp() {
  static const std::string* const reply = new std::string(wire::TextReply(HelpText()));
  return *reply;
}

std::string HandleObai() { return wire::TextReply(wire::kObaiReply); }

}  // namespace cmtp::gateway
