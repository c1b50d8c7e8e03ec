#include "tests/unit/gateway/fake_backends.h"

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/crypto/protocol_signatures.h"

namespace cmtp::gateway::testing {
namespace {

absl::Status NoAccount(const std::string& name) {
  return error::NotFound(absl::StrCat("no account ", name, " on this server"));
}

}  // namespace

FakeKeyDirectory::FakeKeyDirectory(std::string server_secret_key, std::string domain)
    : server_secret_key_(std::move(server_secret_key)), domain_(std::move(domain)) {}

std::string FakeKeyDirectory::server_public_key() const {
  // libsodium's secret key is seed || public key.
  return server_secret_key_.substr(32);
}

void FakeKeyDirectory::AddAccount(const std::string& name, FakeAccount account) {
  std::lock_guard<std::mutex> lock(mutex_);
  accounts_[name] = std::move(account);
}

bool FakeKeyDirectory::HasAccount(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  return accounts_.count(name) > 0;
}

void FakeKeyDirectory::SetOutage(std::optional<absl::Status> status) {
  std::lock_guard<std::mutex> lock(mutex_);
  outage_ = std::move(status);
}

void FakeKeyDirectory::SetBeginLoginError(std::optional<absl::Status> status) {
  std::lock_guard<std::mutex> lock(mutex_);
  begin_login_error_ = std::move(status);
}

int FakeKeyDirectory::account_key_lookups() {
  std::lock_guard<std::mutex> lock(mutex_);
  return account_key_lookups_;
}

std::vector<std::string> FakeKeyDirectory::login_peers() {
  std::lock_guard<std::mutex> lock(mutex_);
  return login_peers_;
}

std::vector<Registration> FakeKeyDirectory::registrations() {
  std::lock_guard<std::mutex> lock(mutex_);
  return registrations_;
}

asio::awaitable<absl::StatusOr<KeyBlock>> FakeKeyDirectory::GetServerKey() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (outage_.has_value()) co_return *outage_;
  co_return KeyBlock{crypto::MakeKeyBlock(server_secret_key_, server_public_key()),
                     server_public_key()};
}

asio::awaitable<absl::StatusOr<KeyBlock>> FakeKeyDirectory::GetAccountKey(
    std::string account) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++account_key_lookups_;
  if (outage_.has_value()) co_return *outage_;
  auto it = accounts_.find(account);
  if (it == accounts_.end()) co_return NoAccount(account);
  co_return KeyBlock{crypto::MakeKeyBlock(server_secret_key_, it->second.public_key),
                     it->second.public_key};
}

asio::awaitable<absl::Status> FakeKeyDirectory::Register(Registration registration) {
  std::lock_guard<std::mutex> lock(mutex_);
  registrations_.push_back(registration);
  if (outage_.has_value()) co_return *outage_;
  if (registration.domain != domain_) {
    co_return error::PermissionDenied(absl::StrCat("this server serves ", domain_));
  }
  if (accounts_.count(registration.account) > 0) {
    co_return error::AlreadyExists(
        absl::StrCat("account ", registration.account, " exists"));
  }
  std::string signed_bytes = crypto::RegisterSignedBytes(
      registration.account, registration.domain, registration.public_key,
      registration.login_public_key, registration.xzibit);
  if (!crypto::Verify(registration.public_key, signed_bytes, registration.signature)) {
    co_return error::Unauthenticated("the registration proof does not verify");
  }
  FakeAccount account;
  account.public_key = registration.public_key;
  account.xzibit = registration.xzibit;
  accounts_[registration.account] = std::move(account);
  co_return absl::OkStatus();
}

asio::awaitable<absl::StatusOr<LoginStart>> FakeKeyDirectory::BeginLogin(
    std::string account, std::string peer) {
  std::lock_guard<std::mutex> lock(mutex_);
  login_peers_.push_back(peer);
  if (outage_.has_value()) co_return *outage_;
  if (begin_login_error_.has_value()) co_return *begin_login_error_;
  auto it = accounts_.find(account);
  if (it == accounts_.end()) co_return NoAccount(account);
  const FakeAccount& found = it->second;
  LoginStart start;
  start.xzibit_version = found.xzibit_version;
  if (found.xzibit_version == 1) {
    start.xzibit = found.xzibit;
    start.signature = crypto::Sign(server_secret_key_, found.xzibit);
  } else {
    start.salt = found.salt;
    start.opslimit = found.opslimit;
    start.memlimit = found.memlimit;
  }
  co_return start;
}

asio::awaitable<absl::StatusOr<SignedXzibit>> FakeKeyDirectory::CompleteLogin(
    ChallengeProof proof) {
  std::lock_guard<std::mutex> lock(mutex_);
  login_peers_.push_back(proof.peer);
  if (outage_.has_value()) co_return *outage_;
  auto it = accounts_.find(proof.account);
  if (it == accounts_.end()) co_return NoAccount(proof.account);
  std::string signed_bytes = crypto::LoginSignedBytes(
      proof.account, domain_, proof.challenge, server_public_key());
  if (!crypto::Verify(it->second.login_public_key, signed_bytes, proof.proof)) {
    co_return error::Unauthenticated("wrong password");
  }
  co_return SignedXzibit{it->second.xzibit,
                         crypto::Sign(server_secret_key_, it->second.xzibit)};
}

asio::awaitable<absl::Status> FakeKeyDirectory::VerifyAuth(ChallengeProof proof) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (outage_.has_value()) co_return *outage_;
  auto it = accounts_.find(proof.account);
  if (it == accounts_.end()) co_return NoAccount(proof.account);
  std::string signed_bytes = crypto::AuthSignedBytes(
      proof.account, domain_, proof.challenge, server_public_key());
  if (!crypto::Verify(it->second.public_key, signed_bytes, proof.proof)) {
    co_return error::Unauthenticated("the AUTH proof does not verify");
  }
  co_return absl::OkStatus();
}

std::vector<StoredMessage> FakeMailboxes::Messages(const std::string& mailbox) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = mailboxes_.find(mailbox);
  return it == mailboxes_.end() ? std::vector<StoredMessage>{} : it->second;
}

size_t FakeMailboxes::TotalMessages() {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t total = 0;
  for (const auto& [name, messages] : mailboxes_) total += messages.size();
  return total;
}

void FakeMailboxes::SetPutError(std::optional<absl::Status> status) {
  std::lock_guard<std::mutex> lock(mutex_);
  put_error_ = std::move(status);
}

void FakeMailboxes::HoldPuts(bool hold) {
  std::lock_guard<std::mutex> lock(mutex_);
  hold_puts_ = hold;
}

int FakeMailboxes::puts_in_progress() {
  std::lock_guard<std::mutex> lock(mutex_);
  return puts_in_progress_;
}

bool FakeMailboxes::held() {
  std::lock_guard<std::mutex> lock(mutex_);
  return hold_puts_;
}

asio::awaitable<absl::StatusOr<MessageMeta>> FakeMailboxes::Put(Delivery& delivery) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++puts_in_progress_;
  }
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer wait(executor);
  while (held()) {
    wait.expires_after(std::chrono::milliseconds(5));
    std::error_code ignored;
    co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  --puts_in_progress_;
  put_request_ids_.push_back(delivery.request_id);
  if (put_error_.has_value()) co_return *put_error_;
  std::vector<StoredMessage>& mailbox = mailboxes_[delivery.mailbox];
  for (const StoredMessage& stored : mailbox) {
    if (stored.meta.message_id == delivery.message_id) co_return stored.meta;
  }
  StoredMessage stored;
  stored.meta.message_id = delivery.message_id;
  stored.meta.size = delivery.blob.size();
  stored.meta.arrival_unix_ms = next_arrival_ms_++;
  stored.meta.src_account = delivery.src_account;
  stored.meta.src_domain = delivery.src_domain;
  // A copy: Put only borrows the caller's bytes (see Delivery::blob).
  stored.blob = delivery.blob;
  mailbox.push_back(stored);
  co_return stored.meta;
}

asio::awaitable<absl::StatusOr<std::vector<MessageMeta>>> FakeMailboxes::List(
    std::string mailbox) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<MessageMeta> metas;
  for (const StoredMessage& stored : mailboxes_[mailbox]) metas.push_back(stored.meta);
  co_return metas;
}

asio::awaitable<absl::StatusOr<StoredMessage>> FakeMailboxes::Get(
    std::string mailbox, std::string message_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const StoredMessage& stored : mailboxes_[mailbox]) {
    if (stored.meta.message_id == message_id) co_return stored;
  }
  co_return error::NotFound(absl::StrCat("no message ", message_id));
}

asio::awaitable<absl::Status> FakeMailboxes::Delete(std::string mailbox,
                                                    std::string message_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<StoredMessage>& messages = mailboxes_[mailbox];
  for (auto it = messages.begin(); it != messages.end(); ++it) {
    if (it->meta.message_id == message_id) {
      messages.erase(it);
      co_return absl::OkStatus();
    }
  }
  co_return error::NotFound(absl::StrCat("no message ", message_id));
}

std::vector<std::string> FakeMailboxes::PutRequestIds() {
  std::lock_guard<std::mutex> lock(mutex_);
  return put_request_ids_;
}

std::vector<OutboundMail> FakeRelay::Queued() {
  std::lock_guard<std::mutex> lock(mutex_);
  return queued_;
}

void FakeRelay::SetEnqueueError(std::optional<absl::Status> status) {
  std::lock_guard<std::mutex> lock(mutex_);
  enqueue_error_ = std::move(status);
}

void FakeRelay::AddForeignKey(const std::string& domain, const std::string& account,
                              std::string public_key) {
  std::lock_guard<std::mutex> lock(mutex_);
  keys_[account + "@" + domain] = std::move(public_key);
}

void FakeRelay::SetFetchError(std::optional<absl::Status> status) {
  std::lock_guard<std::mutex> lock(mutex_);
  fetch_error_ = std::move(status);
}

std::vector<std::string> FakeRelay::Fetches() {
  std::lock_guard<std::mutex> lock(mutex_);
  return fetches_;
}

asio::awaitable<absl::StatusOr<EnqueueReceipt>> FakeRelay::Enqueue(OutboundMail& mail) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (enqueue_error_.has_value()) co_return *enqueue_error_;
  EnqueueReceipt receipt;
  for (const OutboundMail& queued : queued_) {
    if (queued.message_id == mail.message_id) receipt.duplicate = true;
  }
  receipt.queued_unix_ms = 1700000000000;
  // A copy: Enqueue only borrows the caller's bytes (see OutboundMail).
  if (!receipt.duplicate) queued_.push_back(mail);
  co_return receipt;
}

asio::awaitable<absl::StatusOr<ForeignKey>> FakeRelay::FetchKey(std::string domain,
                                                                std::string account) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string address = account + "@" + domain;
  fetches_.push_back(address);
  if (fetch_error_.has_value()) co_return *fetch_error_;
  auto found = keys_.find(address);
  if (found == keys_.end()) {
    co_return error::NotFound(absl::StrCat(address, " has no key"));
  }
  ForeignKey key;
  key.public_key = found->second;
  key.server_public_key = std::string(32, 's');
  co_return key;
}

}  // namespace cmtp::gateway::testing
