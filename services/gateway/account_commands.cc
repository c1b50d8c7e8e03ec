// REGISTER, LOGIN, CHALLENGE, AUTH, LOGINPROOF: the account commands. The
// keyserver decides; the gateway issues challenges and keeps the session's
// authentication state.
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/common/strings.h"
#include "lib/crypto/sodium.h"
#include "lib/wire/message.h"
#include "lib/wire/serializer.h"
#include "services/gateway/command_handlers.h"
#include "services/gateway/status_reply.h"

namespace cmtp::gateway {
namespace {

constexpr uint32_t kXzibitV1 = 1;
constexpr uint32_t kXzibitV2 = 2;

std::string FailureFrom(const GatewayContext& gateway, const wire::Command& command,
                        const absl::Status& status) {
  // The keyserver answers ResourceExhausted only for its LOGIN rate limits.
  if (absl::IsResourceExhausted(status)) gateway.metrics().CountRateLimited(command.kind);
  return FailureReply(gateway, command, FromAbsl(status.message()));
}

ChallengeProof ProofFor(const SessionState& session, const wire::Command& command,
                        std::string challenge) {
  ChallengeProof proof;
  proof.account = command.account;
  proof.challenge = std::move(challenge);
  proof.proof = command.signature;
  proof.peer = session.peer;
  return proof;
}

}  // namespace

asio::awaitable<std::string> HandleRegister(const GatewayContext& gateway,
                                            wire::Command& command) {
  if (command.crypto_type != wire::kCryptoTypeEd25519) {
    co_return FailureReply(gateway, command,
                           absl::StrCat("unsupported crypto type ", command.crypto_type,
                                        " (only 1 is supported)"));
  }
  // The fields are moved out: the reply signs command.request_bytes only.
  Registration registration;
  registration.account = std::move(command.account);
  // The domain as sent: the keyserver checks that it is the one it serves.
  registration.domain = std::move(command.domain);
  registration.invite_token = std::move(command.argument);
  registration.public_key = std::move(command.public_key);
  registration.login_public_key = std::move(command.login_public_key);
  registration.xzibit = std::move(command.xzibit);
  registration.signature = std::move(command.signature);
  absl::Status registered = co_await gateway.keys().Register(std::move(registration));
  if (!registered.ok()) co_return FailureFrom(gateway, command, registered);
  co_return SuccessReply(gateway, command, "registered");
}

asio::awaitable<std::string> HandleLogin(const GatewayContext& gateway,
                                         SessionState& session,
                                         const wire::Command& command) {
  absl::StatusOr<LoginStart> start =
      co_await gateway.keys().BeginLogin(command.account, session.peer);
  if (absl::IsNotFound(start.status())) co_return gateway.not_available_block();
  if (!start.ok()) co_return FailureFrom(gateway, command, start.status());

  switch (start->xzibit_version) {
    case kXzibitV1:
      co_return wire::LoginV1Reply(start->xzibit, start->signature);
    case kXzibitV2: {
      std::string challenge = crypto::RandomBytes(crypto::kChallengeSize);
      std::string signed_bytes = wire::LoginChallengeSignedBytes(
          start->salt, start->opslimit, start->memlimit, challenge);
      session.challenge = std::move(challenge);
      co_return wire::LoginChallengeReply(
          signed_bytes, crypto::Sign(gateway.server_secret_key(), signed_bytes));
    }
    default:
      co_return FailureReply(gateway, command,
                             absl::StrCat("account has an xzibit of unknown version ",
                                          start->xzibit_version));
  }
}

std::string HandleChallenge(SessionState& session) {
  std::string challenge = crypto::RandomBytes(crypto::kChallengeSize);
  session.challenge = challenge;
  return challenge;
}

asio::awaitable<std::string> HandleAuth(const GatewayContext& gateway,
                                        SessionState& session,
                                        const wire::Command& command) {
  std::optional<std::string> challenge = session.TakeChallenge();
  if (!challenge.has_value()) {
    co_return FailureReply(gateway, command, "send CHALLENGE first");
  }
  absl::Status verified = co_await gateway.keys().VerifyAuth(
      ProofFor(session, command, std::move(*challenge)));
  if (!verified.ok()) co_return FailureFrom(gateway, command, verified);
  session.authenticated_account = command.account;
  co_return SuccessReply(
      gateway, command,
      absl::StrCat("authenticated as ", command.account, "@", gateway.domain()));
}

asio::awaitable<std::string> HandleLoginProof(const GatewayContext& gateway,
                                              SessionState& session,
                                              const wire::Command& command) {
  std::optional<std::string> challenge = session.TakeChallenge();
  if (!challenge.has_value()) {
    co_return FailureReply(gateway, command, "send LOGIN (or CHALLENGE) first");
  }
  absl::StatusOr<SignedXzibit> released = co_await gateway.keys().CompleteLogin(
      ProofFor(session, command, std::move(*challenge)));
  if (!released.ok()) co_return FailureFrom(gateway, command, released.status());
  std::string reply = SuccessReply(gateway, command, "login ok");
  reply += wire::XzibitPayload(released->xzibit, released->signature);
  co_return reply;
}

}  // namespace cmtp::gateway
