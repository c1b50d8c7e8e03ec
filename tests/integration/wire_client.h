// A deliberately independent CMTP/1 client for integration tests: raw TCP and
// libsodium, written from docs/protocol.md rather than on top of lib/wire, so
// that the suite's codec is checked against the document, not against itself.
#ifndef CMTP_TESTS_INTEGRATION_WIRE_CLIENT_H_
#define CMTP_TESTS_INTEGRATION_WIRE_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cmtp::integration {

struct StatusReply {
  std::string word;  // "SUCCESS" or "FAILURE"
  std::string signature;
  std::string detail;
  bool success() const { return word == "SUCCESS"; }
};

struct ListEntry {
  std::string id;
  uint64_t size = 0;
  uint64_t arrival_unix_ms = 0;
  std::string src_account;
  std::string src_domain;
};

// The message bytes of a MAIL (everything after "MAIL\0").
struct Message {
  uint32_t crypto_type = 1;
  std::string dst_account, dst_domain, src_account, src_domain;
  std::string log;
  std::string body;
  std::vector<std::string> attachments;
};

class WireClient {
 public:
  WireClient() = default;
  ~WireClient();
  WireClient(const WireClient&) = delete;
  WireClient& operator=(const WireClient&) = delete;

  // Connects to 127.0.0.1:port and reads the banner (a str ending "\n\0").
  bool Connect(int port);
  const std::string& banner() const { return banner_; }

  // Writes all bytes (no SIGPIPE). False when the peer is gone.
  bool Send(std::string_view bytes);
  // Exactly n bytes, or nullopt on EOF, error or timeout.
  std::optional<std::string> ReadExact(size_t n);
  // Bytes up to and including the next NUL.
  std::optional<std::string> ReadStr();
  std::optional<StatusReply> ReadStatus();
  // True when the server closes the connection (EOF or reset) within the
  // timeout; any bytes read meanwhile are appended to `*rest` when given.
  bool WaitClosed(std::chrono::milliseconds timeout, std::string* rest = nullptr);
  void Close();

  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

 private:
  // One read of at most `max` bytes into buffer_; false on EOF/error/timeout.
  bool Fill(size_t max);

  int fd_ = -1;
  std::string banner_;
  std::string buffer_;
  std::chrono::milliseconds timeout_ = std::chrono::seconds(15);
};

// BLAKE2b-256 of `data` (crypto_generichash, 32 bytes, no key).
std::string Hash(std::string_view data);
std::string Hex(std::string_view bytes);

// Signature check of a status reply: by `server_pk` over
// "CMTP-STATUS-1\0" | word | H(request_bytes) | detail.
bool VerifyStatus(const StatusReply& reply, std::string_view server_pk,
                  std::string_view request_bytes);

std::string SerializeMessage(const Message& message);
std::optional<Message> ParseMessage(std::string_view bytes);
// Lowercase hex of the first 16 bytes of the hash of the message without its
// log and log length.
std::string MessageId(const Message& message);

std::string U32(uint32_t v);
std::string U64(uint64_t v);
uint32_t ReadU32(std::string_view bytes);
uint64_t ReadU64(std::string_view bytes);

// Opens a v1 xzibit with the password: the 64-byte Ed25519 secret key.
std::optional<std::string> OpenV1Xzibit(std::string_view xzibit,
                                        std::string_view password);

// Ed25519 detached signature, and its check.
bool Verify(std::string_view message, std::string_view signature, std::string_view pk);
std::string Sign(std::string_view message, std::string_view secret_key);
// A fresh Ed25519 key pair: {public 32, secret 64}.
std::pair<std::string, std::string> NewSigningKey();
// crypto_box_seal to the X25519 form of an Ed25519 public key.
std::string SealTo(std::string_view plaintext, std::string_view ed25519_pk);

// CHALLENGE then AUTH on an open connection, signing with `secret_key`.
// Returns the AUTH status reply and, in *request, the AUTH request bytes.
std::optional<StatusReply> Authenticate(WireClient& client, const std::string& account,
                                        const std::string& domain,
                                        std::string_view secret_key,
                                        std::string_view server_pk,
                                        std::string* request = nullptr);
// LIST on an authenticated connection.
std::optional<std::vector<ListEntry>> List(WireClient& client);

// A fresh connection to the gateway answers NOOP with "O_O\n\0".
bool NoopAnswered(int port);

}  // namespace cmtp::integration

#endif  // CMTP_TESTS_INTEGRATION_WIRE_CLIENT_H_
