#include "lib/wire/serializer.h"

#include <cstdio>
#include <cstdlib>

namespace cmtp::wire {
namespace {

using namespace std::string_view_literals;

constexpr std::string_view kNotAvailableBlock = "KEYNOTAVAILABLE\0"sv;
constexpr size_t kKeySize = 32;
constexpr size_t kSignatureSize = 64;
constexpr size_t kSaltSize = 16;
constexpr size_t kChallengeSize = 32;
constexpr size_t kLoginChallengeSize = 4 + kSaltSize + 8 + 8 + kChallengeSize;
constexpr size_t kMaxDetail = 255;  // a str
constexpr size_t kMaxUtf8ContinuationBytes = 3;

// A wrong-sized key or signature, or a NUL inside a str, would corrupt the
// framing of everything after it: that is a bug in the caller.
void RequireSize(std::string_view what, std::string_view bytes, size_t size) {
  if (bytes.size() != size) {
    std::fprintf(stderr, "wire: %.*s must be %zu bytes, got %zu\n",
                 static_cast<int>(what.size()), what.data(), size, bytes.size());
    std::abort();
  }
}

void AppendStr(std::string& out, std::string_view what, std::string_view text) {
  if (text.find('\0') != std::string_view::npos) {
    std::fprintf(stderr, "wire: %.*s contains a NUL and cannot be sent as a str\n",
                 static_cast<int>(what.size()), what.data());
    std::abort();
  }
  out.append(text);
  out.push_back('\0');
}

void AppendWord(std::string& out, CommandKind kind) {
  out.append(CommandWord(kind));
  out.push_back('\0');
}

bool IsUtf8Continuation(char byte) {
  return (static_cast<unsigned char>(byte) & 0xC0) == 0x80;
}

// The detail as a str: up to its first NUL, at most 255 bytes, cut back to a
// UTF-8 character boundary so it stays readable. The same cut as
// lib/crypto's status signing, so a detail signed there is sent unchanged.
std::string_view DetailAsSent(std::string_view detail) {
  detail = detail.substr(0, detail.find('\0'));
  if (detail.size() <= kMaxDetail) return detail;
  size_t cut = kMaxDetail;
  for (size_t backed_off = 0; backed_off < kMaxUtf8ContinuationBytes && cut > 0 &&
                              IsUtf8Continuation(detail[cut]);
       ++backed_off) {
    --cut;
  }
  // Not UTF-8 after all (a run of continuation bytes): cut at the limit.
  if (IsUtf8Continuation(detail[cut])) cut = kMaxDetail;
  return detail.substr(0, cut);
}

}  // namespace

void AppendU32(std::string& out, uint32_t v) {
  const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                         static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(bytes, sizeof(bytes));
}

void AppendU64(std::string& out, uint64_t v) {
  AppendU32(out, static_cast<uint32_t>(v >> 32));
  AppendU32(out, static_cast<uint32_t>(v));
}

uint32_t ReadU32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) |
         uint32_t{b[3]};
}

uint64_t ReadU64(const char* p) { return (uint64_t{ReadU32(p)} << 32) | ReadU32(p + 4); }

std::string SerializeMessage(const MailHeader& header, std::string_view log,
                             std::string_view body,
                             const std::vector<std::string>& attachments) {
  size_t size = 24 + header.dst_account.size() + header.dst_domain.size() +
                header.src_account.size() + header.src_domain.size() + 4 + log.size() +
                body.size();
  for (const std::string& attachment : attachments) size += 8 + attachment.size();
  std::string out;
  out.reserve(size);
  AppendU32(out, header.crypto_type);
  AppendU32(out, static_cast<uint32_t>(attachments.size()));
  AppendU64(out, log.size());
  AppendU64(out, body.size());
  AppendStr(out, "destination account", header.dst_account);
  AppendStr(out, "destination domain", header.dst_domain);
  AppendStr(out, "source account", header.src_account);
  AppendStr(out, "source domain", header.src_domain);
  out.append(log);
  out.append(body);
  for (const std::string& attachment : attachments) {
    AppendU64(out, attachment.size());
    out.append(attachment);
  }
  return out;
}

std::string SerializeCommand(const Command& command) {
  std::string out;
  AppendWord(out, command.kind);
  switch (command.kind) {
    case CommandKind::kOhai:
    case CommandKind::kNoop:
    case CommandKind::kHelp:
    case CommandKind::kObai:
    case CommandKind::kChallenge:
    case CommandKind::kList:
      return out;
    case CommandKind::kKeyRequest:
      AppendStr(out, "account", command.account);
      // An empty account asks for the server's own key and has no domain.
      if (!command.account.empty()) AppendStr(out, "domain", command.domain);
      return out;
    case CommandKind::kLogin:
      AppendStr(out, "account", command.account);
      return out;
    case CommandKind::kMail:
      out.append(command.mail.bytes);
      return out;
    case CommandKind::kRegister:
      RequireSize("public key", command.public_key, kKeySize);
      RequireSize("login public key", command.login_public_key, kKeySize);
      RequireSize("signature", command.signature, kSignatureSize);
      AppendStr(out, "account", command.account);
      AppendStr(out, "domain", command.domain);
      AppendStr(out, "invite token", command.argument);
      AppendU32(out, command.crypto_type);
      out.append(command.public_key);
      out.append(command.login_public_key);
      AppendU32(out, static_cast<uint32_t>(command.xzibit.size()));
      out.append(command.xzibit);
      out.append(command.signature);
      return out;
    case CommandKind::kAuth:
    case CommandKind::kLoginProof:
      RequireSize("signature", command.signature, kSignatureSize);
      AppendStr(out, "account", command.account);
      out.append(command.signature);
      return out;
    case CommandKind::kFetch:
    case CommandKind::kDelete:
      AppendStr(out, "message id", command.argument);
      return out;
  }
  std::fprintf(stderr, "wire: SerializeCommand: unhandled command kind\n");
  std::abort();
}

std::string TextReply(std::string_view text) {
  std::string out;
  AppendStr(out, "text reply", text);
  return out;
}

std::string KeyBlockReply(std::string_view public_key, std::string_view signature) {
  RequireSize("public key", public_key, kKeySize);
  RequireSize("signature", signature, kSignatureSize);
  std::string out;
  out.reserve(4 + kKeySize + 1 + kSignatureSize + 1);
  AppendU32(out, kCryptoTypeEd25519);
  out.append(public_key);
  out.push_back('\0');
  out.append(signature);
  out.push_back('\0');
  return out;
}

std::string_view NotAvailableSignedBytes() { return kNotAvailableBlock; }

std::string NotAvailableReply(std::string_view signature) {
  RequireSize("signature", signature, kSignatureSize);
  std::string out;
  out.reserve(4 + kNotAvailableBlock.size() + kSignatureSize + 1);
  AppendU32(out, 0);
  out.append(kNotAvailableBlock);
  out.append(signature);
  out.push_back('\0');
  return out;
}

std::string StatusReply(const Status& status) {
  RequireSize("status signature", status.signature, kSignatureSize);
  const std::string_view detail = DetailAsSent(status.detail);
  std::string out;
  out.reserve(7 + kSignatureSize + detail.size() + 1);
  out.append(status.success ? "SUCCESS" : "FAILURE");
  out.append(status.signature);
  out.append(detail);
  out.push_back('\0');
  return out;
}

std::string LoginV1Reply(std::string_view xzibit, std::string_view signature) {
  RequireSize("signature", signature, kSignatureSize);
  std::string out;
  out.reserve(xzibit.size() + signature.size());
  out.append(xzibit);
  out.append(signature);
  return out;
}

std::string LoginChallengeSignedBytes(std::string_view salt, uint64_t opslimit,
                                      uint64_t memlimit, std::string_view challenge) {
  RequireSize("salt", salt, kSaltSize);
  RequireSize("challenge", challenge, kChallengeSize);
  std::string out;
  out.reserve(kLoginChallengeSize);
  AppendU32(out, 2);
  out.append(salt);
  AppendU64(out, opslimit);
  AppendU64(out, memlimit);
  out.append(challenge);
  return out;
}

std::string LoginChallengeReply(std::string_view signed_bytes,
                                std::string_view signature) {
  RequireSize("login challenge", signed_bytes, kLoginChallengeSize);
  RequireSize("signature", signature, kSignatureSize);
  std::string out(signed_bytes);
  out.append(signature);
  return out;
}

std::string ListPayload(const std::vector<ListEntry>& entries) {
  std::string out;
  AppendU32(out, static_cast<uint32_t>(entries.size()));
  for (const ListEntry& entry : entries) {
    AppendStr(out, "message id", entry.message_id);
    AppendU64(out, entry.size);
    AppendU64(out, entry.arrival_unix_ms);
    AppendStr(out, "source account", entry.src_account);
    AppendStr(out, "source domain", entry.src_domain);
  }
  return out;
}

std::string BlobPayload(std::string_view message_bytes) {
  std::string out;
  out.reserve(8 + message_bytes.size());
  AppendU64(out, message_bytes.size());
  out.append(message_bytes);
  return out;
}

std::string XzibitPayload(std::string_view xzibit, std::string_view signature) {
  RequireSize("signature", signature, kSignatureSize);
  std::string out;
  out.reserve(4 + xzibit.size() + kSignatureSize);
  AppendU32(out, static_cast<uint32_t>(xzibit.size()));
  out.append(xzibit);
  out.append(signature);
  return out;
}

}  // namespace cmtp::wire
