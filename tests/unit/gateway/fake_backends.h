// In-memory KeyDirectory, Mailboxes and Relay for gateway tests. They answer at
// once, check proofs with real Ed25519 keys as the keyserver would, and
// record what they were asked so tests can check what reached the backends.
#ifndef CMTP_TESTS_UNIT_GATEWAY_FAKE_BACKENDS_H_
#define CMTP_TESTS_UNIT_GATEWAY_FAKE_BACKENDS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lib/crypto/sodium.h"
#include "services/gateway/backends.h"

namespace cmtp::gateway::testing {

struct FakeAccount {
  std::string public_key;  // identity, 32 bytes
  uint32_t xzibit_version = 1;
  std::string xzibit;
  // v2 only.
  std::string login_public_key;
  std::string salt;
  uint64_t opslimit = 0;
  uint64_t memlimit = 0;
};

class FakeKeyDirectory : public KeyDirectory {
 public:
  // Signs like the keyserver, with the server's key, for `domain`.
  FakeKeyDirectory(std::string server_secret_key, std::string domain);

  void AddAccount(const std::string& name, FakeAccount account);
  bool HasAccount(const std::string& name);
  // Every call fails with `status` until cleared (a keyserver outage).
  void SetOutage(std::optional<absl::Status> status);
  // BeginLogin fails with `status` (a rate limit, open v1 login disabled).
  void SetBeginLoginError(std::optional<absl::Status> status);

  int account_key_lookups();
  std::vector<std::string> login_peers();
  std::vector<Registration> registrations();

  asio::awaitable<absl::StatusOr<KeyBlock>> GetServerKey() override;
  asio::awaitable<absl::StatusOr<KeyBlock>> GetAccountKey(std::string account) override;
  asio::awaitable<absl::Status> Register(Registration registration) override;
  asio::awaitable<absl::StatusOr<LoginStart>> BeginLogin(std::string account,
                                                         std::string peer) override;
  asio::awaitable<absl::StatusOr<SignedXzibit>> CompleteLogin(
      ChallengeProof proof) override;
  asio::awaitable<absl::Status> VerifyAuth(ChallengeProof proof) override;

 private:
  std::string server_public_key() const;

  const std::string server_secret_key_;
  const std::string domain_;
  std::mutex mutex_;  // the gateway calls from its io thread, tests read from theirs
  std::map<std::string, FakeAccount> accounts_;
  std::optional<absl::Status> outage_;
  std::optional<absl::Status> begin_login_error_;
  int account_key_lookups_ = 0;
  std::vector<std::string> login_peers_;
  std::vector<Registration> registrations_;
};

class FakeMailboxes : public Mailboxes {
 public:
  std::vector<StoredMessage> Messages(const std::string& mailbox);
  size_t TotalMessages();
  void SetPutError(std::optional<absl::Status> status);
  // Put waits (without blocking the thread) until the release flag is set,
  // so tests can catch a session in the middle of a command.
  void HoldPuts(bool hold);
  int puts_in_progress();
  // The request id of every Put so far, failed ones included.
  std::vector<std::string> PutRequestIds();

  asio::awaitable<absl::StatusOr<MessageMeta>> Put(Delivery& delivery) override;
  asio::awaitable<absl::StatusOr<std::vector<MessageMeta>>> List(
      std::string mailbox) override;
  asio::awaitable<absl::StatusOr<StoredMessage>> Get(std::string mailbox,
                                                     std::string message_id) override;
  asio::awaitable<absl::Status> Delete(std::string mailbox,
                                       std::string message_id) override;

 private:
  bool held();

  std::mutex mutex_;
  std::map<std::string, std::vector<StoredMessage>> mailboxes_;
  std::optional<absl::Status> put_error_;
  std::vector<std::string> put_request_ids_;
  bool hold_puts_ = false;
  int puts_in_progress_ = 0;
  int64_t next_arrival_ms_ = 1700000000000;
};

class FakeRelay : public Relay {
 public:
  // What Enqueue was given, in order (a copy of each message).
  std::vector<OutboundMail> Queued();
  void SetEnqueueError(std::optional<absl::Status> status);

  // The key FetchKey returns for account@domain (account "" for the
  // server's own key); anything else is NotFound.
  void AddForeignKey(const std::string& domain, const std::string& account,
                     std::string public_key);
  void SetFetchError(std::optional<absl::Status> status);
  // Every FetchKey as "account@domain".
  std::vector<std::string> Fetches();

  asio::awaitable<absl::StatusOr<EnqueueReceipt>> Enqueue(OutboundMail& mail) override;
  asio::awaitable<absl::StatusOr<ForeignKey>> FetchKey(std::string domain,
                                                       std::string account) override;

 private:
  std::mutex mutex_;
  std::vector<OutboundMail> queued_;
  std::optional<absl::Status> enqueue_error_;
  std::map<std::string, std::string> keys_;  // "account@domain" -> key
  std::optional<absl::Status> fetch_error_;
  std::vector<std::string> fetches_;
};

}  // namespace cmtp::gateway::testing

#endif  // CMTP_TESTS_UNIT_GATEWAY_FAKE_BACKENDS_H_
