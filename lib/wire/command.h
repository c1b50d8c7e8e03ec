// Every request a peer can send, as one tagged struct: the parser fills the
// fields its kind uses and leaves the others empty.
#ifndef CMTP_LIB_WIRE_COMMAND_H_
#define CMTP_LIB_WIRE_COMMAND_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/wire/message.h"

namespace cmtp::wire {

enum class CommandKind {
  kOhai,
  kNoop,
  kHelp,
  kObai,
  kKeyRequest,  // account empty => the server's own key
  kLogin,
  kMail,
  // [ext] commands, see docs/protocol.md
  kRegister,
  kChallenge,
  kAuth,
  kLoginProof,
  kList,
  kFetch,
  kDelete,
};

// The command word as it appears on the wire ("KEYREQUEST", ...).
std::string_view CommandWord(CommandKind kind);

struct Command {
  CommandKind kind = CommandKind::kNoop;

  // KEYREQUEST, LOGIN, REGISTER, AUTH, LOGINPROOF.
  std::string account;
  // KEYREQUEST (empty for the server key), REGISTER.
  std::string domain;
  // FETCH / DELETE: the message id. REGISTER: the invite token.
  std::string argument;
  // REGISTER, AUTH, LOGINPROOF: 64-byte Ed25519 signature.
  std::string signature;

  // REGISTER only.
  uint32_t crypto_type = 0;
  std::string public_key;        // 32 bytes
  std::string login_public_key;  // 32 bytes, all zero for a v1 xzibit
  std::string xzibit;

  // MAIL only.
  MailMessage mail;

  // The bytes a status reply's signature covers (docs/protocol.md): for MAIL
  // the message bytes, for every other command its bytes from the command word
  // through its last byte.
  std::string request_bytes;
  std::string_view SignedRequestBytes() const {
    return kind == CommandKind::kMail ? std::string_view(mail.bytes)
                                      : std::string_view(request_bytes);
  }
};

}  // namespace cmtp::wire

#endif  // CMTP_LIB_WIRE_COMMAND_H_
