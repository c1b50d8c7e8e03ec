// Request bytes built by hand from docs/protocol.md, independently of
// lib/wire's serializer, so the gateway tests check the documented layout
// rather than the codec agreeing with itself.
#ifndef CMTP_TESTS_UNIT_GATEWAY_TEST_REQUESTS_H_
#define CMTP_TESTS_UNIT_GATEWAY_TEST_REQUESTS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cmtp::gateway::testing {

std::string U32(uint32_t v);
std::string U64(uint64_t v);
// `text` then a NUL.
std::string Str(std::string_view text);

struct TestMail {
  std::string dst_account = "bob";
  std::string dst_domain = "hawaii.edu";
  std::string src_account = "alice";
  std::string src_domain = "hawaii.edu";
  std::string log;
  std::string body = "sealed body bytes";
  std::vector<std::string> attachments;
  uint32_t crypto_type = 1;

  // Everything after "MAIL\0".
  std::string MessageBytes() const;

  std::string Request() const { return std::string("MAIL\0", 5) + MessageBytes(); }
  // 32 lowercase hex digits: H(message without log and log length)[0..16].
  std::string ExpectedId() const;
};

std::string KeyRequest(std::string_view account, std::string_view domain);
std::string AuthRequest(std::string_view account, std::string_view signature);
std::string LoginRequest(std::string_view account);
std::string LoginProofRequest(std::string_view account, std::string_view signature);
std::string FetchRequest(std::string_view message_id);
std::string DeleteRequest(std::string_view message_id);

struct TestRegistration {
  std::string account;
  std::string domain;
  std::string invite_token;
  std::string public_key;
  std::string login_public_key = std::string(32, '\0');
  std::string xzibit;
  std::string signature;

  std::string Request() const;
};

// The byte strings the status signature covers, written out from the spec.
std::string ExpectedStatusSignedBytes(bool success, std::string_view request_bytes,
                                      std::string_view detail);

// `message_bytes` with `entry` appended to the log and log_len updated:
// what a server stores or queues.
std::string WithLogEntry(std::string_view message_bytes, std::string_view entry);

// A server's log entry as docs/protocol.md spells it ("The log"), NUL
// included, signed with `server_secret_key`.
std::string ExpectedLogEntry(std::string_view domain, int64_t unix_ms,
                             std::string_view message_id,
                             std::string_view server_secret_key);

}  // namespace cmtp::gateway::testing

#endif  // CMTP_TESTS_UNIT_GATEWAY_TEST_REQUESTS_H_
