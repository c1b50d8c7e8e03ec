// The services a gateway session talks to, as abstract asynchronous
// interfaces. The session and the command handlers see only these, so they
// stay independent of gRPC: production wires in grpc_backends.h, unit tests
// in-memory fakes. Every method is a coroutine that resumes on the caller's
// executor.
#ifndef CMTP_SERVICES_GATEWAY_BACKENDS_H_
#define CMTP_SERVICES_GATEWAY_BACKENDS_H_

#include <asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cmtp::gateway {

// A key block as it goes on the wire, and the key inside it.
struct KeyBlock {
  std::string wire_bytes;  // 102 bytes, signed by the server
  std::string public_key;  // 32 bytes
};

// A REGISTER request, as the client sent it.
struct Registration {
  std::string account;
  std::string domain;
  std::string invite_token;
  std::string public_key;
  std::string login_public_key;
  std::string xzibit;
  std::string signature;
};

// What the first step of LOGIN answers, by the account's xzibit version.
struct LoginStart {
  uint32_t xzibit_version = 0;
  // v1: the xzibit and the server's signature over it.
  std::string xzibit;
  std::string signature;
  // v2: the KDF parameters the client derives its login key with.
  std::string salt;
  uint64_t opslimit = 0;
  uint64_t memlimit = 0;
};

// A proof over a challenge this session issued (AUTH and LOGINPROOF).
struct ChallengeProof {
  std::string account;
  std::string challenge;  // 32 bytes
  std::string proof;      // 64-byte Ed25519 signature
  std::string peer;       // the client's address (rate limits, logs)
};

// An xzibit released by a successful LOGINPROOF, with the server's signature.
struct SignedXzibit {
  std::string xzibit;
  std::string signature;
};

class KeyDirectory {
 public:
  virtual ~KeyDirectory() = default;

  // The keyserver's own key block (self-signed).
  virtual asio::awaitable<absl::StatusOr<KeyBlock>> GetServerKey() = 0;
  // A local account's key block; NotFound for an unknown or disabled account.
  virtual asio::awaitable<absl::StatusOr<KeyBlock>> GetAccountKey(
      std::string account) = 0;
  virtual asio::awaitable<absl::Status> Register(Registration registration) = 0;
  // NotFound for an unknown account; PermissionDenied when v1 open login is
  // off; ResourceExhausted when rate limited.
  virtual asio::awaitable<absl::StatusOr<LoginStart>> BeginLogin(std::string account,
                                                                 std::string peer) = 0;
  virtual asio::awaitable<absl::StatusOr<SignedXzibit>> CompleteLogin(
      ChallengeProof proof) = 0;
  virtual asio::awaitable<absl::Status> VerifyAuth(ChallengeProof proof) = 0;
};

struct MessageMeta {
  std::string message_id;
  uint64_t size = 0;
  int64_t arrival_unix_ms = 0;
  std::string src_account;
  std::string src_domain;
};

// A message to store in a local mailbox.
struct Delivery {
  std::string mailbox;  // the local account
  std::string message_id;
  // The message bytes. Put borrows them: they are moved into the storage
  // request and moved back before Put completes, so the caller can still
  // sign its receipt over them without the body ever being copied.
  std::string blob;
  std::string src_account;
  std::string src_domain;
  // Sent as the call's request id (lib/observability/request_id.h), so the
  // mailstore's log lines for this message carry the gateway's id.
  std::string request_id;
};

struct StoredMessage {
  MessageMeta meta;
  std::string blob;
};

class Mailboxes {
 public:
  virtual ~Mailboxes() = default;

  // Completes only once the message is durable. Idempotent by message id.
  virtual asio::awaitable<absl::StatusOr<MessageMeta>> Put(Delivery& delivery) = 0;
  // In arrival order.
  virtual asio::awaitable<absl::StatusOr<std::vector<MessageMeta>>> List(
      std::string mailbox) = 0;
  virtual asio::awaitable<absl::StatusOr<StoredMessage>> Get(std::string mailbox,
                                                             std::string message_id) = 0;
  virtual asio::awaitable<absl::Status> Delete(std::string mailbox,
                                               std::string message_id) = 0;
};

// A message for a foreign domain, handed to the relay's durable queue.
struct OutboundMail {
  std::string message_id;
  // The message bytes, this hop's log entry included. Borrowed like
  // Delivery::blob: moved into the request and back before Enqueue completes.
  std::string message;
  std::string dst_account;
  std::string dst_domain;
  std::string src_account;
  std::string src_domain;
  // Follows the message through the relay's logs: in the request and as the
  // call's request id.
  std::string request_id;
};

struct EnqueueReceipt {
  bool duplicate = false;  // the message was queued already (a retried send)
  int64_t queued_unix_ms = 0;
};

// A foreign key, verified by the relay against the pinned key of the server
// that vouched for it.
struct ForeignKey {
  std::string public_key;         // 32 bytes
  std::string server_public_key;  // the foreign server's pinned key
};

class Relay {
 public:
  virtual ~Relay() = default;

  // Completes only once the message is durably queued. Idempotent by id.
  virtual asio::awaitable<absl::StatusOr<EnqueueReceipt>> Enqueue(OutboundMail& mail) = 0;
  // account@domain's key from that domain's server; an empty account asks
  // for the server's own key. NotFound when that server has no such key.
  virtual asio::awaitable<absl::StatusOr<ForeignKey>> FetchKey(std::string domain,
                                                               std::string account) = 0;
};

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_BACKENDS_H_
