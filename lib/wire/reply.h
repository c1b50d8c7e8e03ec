// Replies a server sends, as the client side reads them.
#ifndef CMTP_LIB_WIRE_REPLY_H_
#define CMTP_LIB_WIRE_REPLY_H_

#include <cstdint>
#include <string>
#include <vector>

namespace cmtp::wire {

// What the client expects after the command it sent: replies are only
// self-describing together with the request that caused them.
enum class ReplyKind {
  kText,         // banner, OHAI, NOOP, HELP, OBAI: a str ending "\n\0"
  kKeyBlock,     // KEYREQUEST: key block (102) or key-not-available (85)
  kLogin,        // LOGIN: v1 xzibit+sig, v2 login challenge, not available, or status
  kChallenge,    // CHALLENGE: 32 raw bytes
  kStatus,       // MAIL, REGISTER, AUTH, DELETE: status reply
  kStatusList,   // LIST: status, then on SUCCESS the entry list
  kStatusBlob,   // FETCH: status, then on SUCCESS u64 len + message bytes
  kStatusXzibit, // LOGINPROOF: status, then on SUCCESS u32 len + xzibit + sig
};

struct Status {
  bool success = false;
  std::string signature;  // 64 bytes
  std::string detail;
};

struct ListEntry {
  std::string message_id;
  uint64_t size = 0;
  uint64_t arrival_unix_ms = 0;
  std::string src_account;
  std::string src_domain;
};

struct Reply {
  ReplyKind kind = ReplyKind::kText;
  std::string raw;  // every byte of the reply, as read

  // kText.
  std::string text;  // without the trailing NUL

  // Every status-bearing kind; kLogin when the server refused.
  bool has_status = false;
  Status status;

  // kKeyBlock: key_available false => the 85-byte not-available block, whose
  // signature covers "KEYNOTAVAILABLE\0". kLogin may also be not-available.
  bool key_available = false;
  uint32_t crypto_type = 0;
  std::string public_key;  // 32
  std::string signature;   // 64: over the key, the xzibit, or the challenge block

  // kLogin: 1 => xzibit (156) + signature; 2 => v2 login challenge.
  uint32_t login_version = 0;
  std::string xzibit;  // kLogin v1, kStatusXzibit
  std::string salt;    // kLogin v2 (16)
  uint64_t opslimit = 0;
  uint64_t memlimit = 0;
  std::string challenge;  // kLogin v2, kChallenge (32)
  std::string signed_part;  // the bytes `signature` covers (key, xzibit, or the 68-byte challenge block)

  // kStatusList.
  std::vector<ListEntry> entries;

  // kStatusBlob: the message bytes.
  std::string blob;
};

}  // namespace cmtp::wire

#endif  // CMTP_LIB_WIRE_REPLY_H_
