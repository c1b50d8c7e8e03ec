// Routes each parsed command to its handler.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include "services/gateway/command_handlers.h"

namespace cmtp::gateway {
namespace {

constexpr std::string_view kFailureWord = "FAILURE";

// The synchronous handlers' replies, as awaitables like the others'.
asio::awaitable<std::string> Ready(std::string reply) { co_return reply; }

// Not a coroutine: it picks the handler whose awaitable the caller awaits,
// so `command` must live until then (HandleCommand's frame owns it).
asio::awaitable<std::string> RouteToHandler(const GatewayContext& gateway,
                                            SessionState& session,
                                            wire::Command& command) {
  using wire::CommandKind;
  switch (command.kind) {
    case CommandKind::kOhai:
      return Ready(HandleOhai());
    case CommandKind::kNoop:
      return Ready(HandleNoop());
    case CommandKind::kHelp:
      return Ready(HandleHelp());
    case CommandKind::kObai:
      return Ready(HandleObai());
    case CommandKind::kKeyRequest:
      return HandleKeyRequest(gateway, command);
    case CommandKind::kLogin:
      return HandleLogin(gateway, session, command);
    case CommandKind::kMail:
      return HandleMail(gateway, session, command);
    case CommandKind::kRegister:
      return HandleRegister(gateway, command);
    case CommandKind::kChallenge:
      return Ready(HandleChallenge(session));
    case CommandKind::kAuth:
      return HandleAuth(gateway, session, command);
    case CommandKind::kLoginProof:
      return HandleLoginProof(gateway, session, command);
    case CommandKind::kList:
      return HandleList(gateway, session, command);
    case CommandKind::kFetch:
      return HandleFetch(gateway, session, command);
    case CommandKind::kDelete:
      return HandleDelete(gateway, session, command);
  }
  std::fprintf(stderr, "gateway: fatal: command kind %d has no handler\n",
               static_cast<int>(command.kind));
  std::abort();
}

}  // namespace

asio::awaitable<CommandReply> HandleCommand(const GatewayContext& gateway,
                                            SessionState& session,
                                            wire::Command command) {
  const bool close_after = command.kind == wire::CommandKind::kObai;
  // Awaited as a statement of its own (see Session::Run on GCC 12).
  std::string bytes = co_await RouteToHandler(gateway, session, command);
  // Every status reply starts with its word; nothing else starts like one
  // (docs/protocol.md, "Distinguishing replies").
  const bool failure = std::string_view(bytes).starts_with(kFailureWord);
  co_return CommandReply{std::move(bytes), close_after, failure};
}

}  // namespace cmtp::gateway
