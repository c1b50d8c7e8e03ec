// One small function per command: each takes the parsed command (and the
// session's state where the command needs it) and returns the reply bytes.
// They know the wire and the backend interfaces, never sockets or gRPC.
#ifndef CMTP_SERVICES_GATEWAY_COMMAND_HANDLERS_H_
#define CMTP_SERVICES_GATEWAY_COMMAND_HANDLERS_H_

#include <asio/awaitable.hpp>
#include <string>

#include "lib/wire/command.h"
#include "services/gateway/gateway_context.h"
#include "services/gateway/session_state.h"

namespace cmtp::gateway {

struct CommandReply {
  std::string bytes;
  bool close_after = false;  // OBAI: the session ends once the reply is sent
  bool failure = false;      // a FAILURE status reply (for the metrics)
};

// Routes a command to its handler.
asio::awaitable<CommandReply> HandleCommand(const GatewayContext& gateway,
                                            SessionState& session, wire::Command command);

// text_commands.cc: the reference's argument-less commands.
std::string HandleOhai();
std::string HandleNoop();
std::string HandleHelp();
std::string HandleObai();

// key_request.cc
asio::awaitable<std::string> HandleKeyRequest(const GatewayContext& gateway,
                                              const wire::Command& command);

// account_commands.cc
asio::awaitable<std::string> HandleRegister(const GatewayContext& gateway,
                                            wire::Command& command);
asio::awaitable<std::string> HandleLogin(const GatewayContext& gateway,
                                         SessionState& session,
                                         const wire::Command& command);
std::string HandleChallenge(SessionState& session);
asio::awaitable<std::string> HandleAuth(const GatewayContext& gateway,
                                        SessionState& session,
                                        const wire::Command& command);
asio::awaitable<std::string> HandleLoginProof(const GatewayContext& gateway,
                                              SessionState& session,
                                              const wire::Command& command);

// mail_command.cc: relaying to a foreign domain needs the session to be
// authenticated as the sender.
asio::awaitable<std::string> HandleMail(const GatewayContext& gateway,
                                        const SessionState& session,
                                        wire::Command& command);

// mailbox_commands.cc: need an authenticated session.
asio::awaitable<std::string> HandleList(const GatewayContext& gateway,
                                        const SessionState& session,
                                        const wire::Command& command);
asio::awaitable<std::string> HandleFetch(const GatewayContext& gateway,
                                         const SessionState& session,
                                         const wire::Command& command);
asio::awaitable<std::string> HandleDelete(const GatewayContext& gateway,
                                          const SessionState& session,
                                          const wire::Command& command);

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_COMMAND_HANDLERS_H_
