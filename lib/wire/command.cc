#include "lib/wire/command.h"

#include <cstdio>
#include <cstdlib>

namespace cmtp::wire {

std::string_view CommandWord(CommandKind kind) {
  switch (kind) {
    case CommandKind::kOhai:
      return "OHAI";
    case CommandKind::kNoop:
      return "NOOP";
    case CommandKind::kHelp:
      return "HELP";
    case CommandKind::kObai:
      return "OBAI";
    case CommandKind::kKeyRequest:
      return "KEYREQUEST";
    case CommandKind::kLogin:
      return "LOGIN";
    case CommandKind::kMail:
      return "MAIL";
    case CommandKind::kRegister:
      return "REGISTER";
    case CommandKind::kChallenge:
      return "CHALLENGE";
    case CommandKind::kAuth:
      return "AUTH";
    case CommandKind::kLoginProof:
      return "LOGINPROOF";
    case CommandKind::kList:
      return "LIST";
    case CommandKind::kFetch:
      return "FETCH";
    case CommandKind::kDelete:
      return "DELETE";
  }
  // Every enumerator is handled above: this is memory corruption or a cast.
  std::fprintf(stderr, "wire: CommandWord of an unknown command kind %d\n",
               static_cast<int>(kind));
  std::abort();
}

}  // namespace cmtp::wire
