// What a connection remembers between commands: the outstanding challenge
// and who, if anyone, the peer has proved to be.
#ifndef CMTP_SERVICES_GATEWAY_SESSION_STATE_H_
#define CMTP_SERVICES_GATEWAY_SESSION_STATE_H_

#include <optional>
#include <string>
#include <utility>

namespace cmtp::gateway {

struct SessionState {
  // The client's address without the port (per-peer LOGIN rate limits).
  std::string peer;
  // Names the session in its log lines (session start, mail, session end).
  std::string session_id;
  // The latest challenge (CHALLENGE, or LOGIN of a v2 account); the next
  // AUTH or LOGINPROOF consumes it whether or not the proof holds.
  std::optional<std::string> challenge;
  // Set by a successful AUTH; kept until the connection closes.
  std::optional<std::string> authenticated_account;

  std::optional<std::string> TakeChallenge() {
    return std::exchange(challenge, std::nullopt);
  }
};

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_SESSION_STATE_H_
