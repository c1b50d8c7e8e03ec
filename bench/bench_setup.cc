#include "bench/bench_setup.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/client/new_account.h"
#include "lib/client/outgoing_mail.h"
#include "lib/client/session.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/crypto/xzibit.h"
#include "lib/wire/message_id.h"

namespace cmtp::bench {
namespace {

constexpr size_t kNameRandomBytes = 6;

std::string FreshName(std::string_view role) {
  return absl::StrCat("bench-", crypto::ToHex(crypto::RandomBytes(kNameRandomBytes)), "-",
                      ToAbsl(role));
}

// Registers account@domain with a fresh identity and a throw-away password
// (the cheapest KDF cost: the xzibit is never opened).
absl::StatusOr<crypto::KeyPair> RegisterFresh(client::Session& session,
                                              const client::MailAddress& address,
                                              const std::string& invite_token) {
  const std::string password = crypto::ToHex(crypto::RandomBytes(16));
  absl::StatusOr<client::NewAccount> account =
      client::MakeNewAccount(address, password, crypto::KdfCost::kInteractive);
  if (!account.ok()) return account.status();
  if (absl::Status registered = session.Register(address, invite_token, *account);
      !registered.ok()) {
    return error::Unavailable(
        absl::StrCat("REGISTER ", address.ToString(), ": ", registered.message()));
  }
  return std::move(account->identity);
}

absl::StatusOr<PreparedMail> BuildOne(const Accounts& accounts, size_t text_size,
                                      size_t index) {
  client::OutgoingMail mail;
  mail.sender = accounts.sender;
  mail.recipient = accounts.recipient;
  mail.recipient_public_key = accounts.recipient_key;
  mail.inner.timestamp_unix_ms = static_cast<int64_t>(index);
  mail.inner.from = accounts.sender.ToString();
  mail.inner.to = accounts.recipient.ToString();
  mail.inner.subject = absl::StrCat("cmtp-bench ", index);
  mail.inner.text.assign(text_size, 'x');
  absl::StatusOr<wire::MailMessage> built =
      client::BuildMail(mail, accounts.sender_identity);
  if (!built.ok()) return built.status();
  PreparedMail prepared;
  prepared.id = wire::MessageId(*built);
  prepared.message = std::move(*built);
  return prepared;
}

}  // namespace

absl::StatusOr<Accounts> PrepareAccounts(const SetupOptions& options) {
  absl::StatusOr<client::Session> session = client::Session::Connect(options.server);
  if (!session.ok()) return session.status();
  Accounts accounts;
  absl::StatusOr<std::string> server_key = session->ServerKey();
  if (!server_key.ok()) return server_key.status();
  accounts.server_key = *server_key;

  if (options.recipient_server.has_value()) {
    // Registered at the other domain's server, then looked up through ours:
    // the key a sender would really use, vouched for by its own server.
    absl::StatusOr<client::Session> other =
        client::Session::Connect(*options.recipient_server);
    if (!other.ok()) return other.status();
    accounts.recipient = {FreshName("r"), options.recipient_domain};
    absl::StatusOr<crypto::KeyPair> identity =
        RegisterFresh(*other, accounts.recipient, options.invite_token);
    if (!identity.ok()) return identity.status();
    other->Quit().IgnoreError();
    absl::StatusOr<std::string> key =
        session->KeyRequest(accounts.recipient.account, accounts.recipient.domain);
    if (!key.ok()) {
      return error::Unavailable(absl::StrCat("KEYREQUEST ", accounts.recipient.ToString(),
                                             " through ", options.server.ToString(), ": ",
                                             key.status().message()));
    }
    if (*key != identity->public_key) {
      return error::CryptoFailure(
          absl::StrCat("the key of ", accounts.recipient.ToString(),
                       " came back different through ", options.server.ToString()));
    }
    accounts.recipient_key = *key;
    accounts.recipient_identity = std::move(*identity);
  } else if (options.to.empty()) {
    accounts.recipient = {FreshName("r"), options.domain};
    absl::StatusOr<crypto::KeyPair> identity =
        RegisterFresh(*session, accounts.recipient, options.invite_token);
    if (!identity.ok()) return identity.status();
    accounts.recipient_key = identity->public_key;
    accounts.recipient_identity = std::move(*identity);
  } else {
    absl::StatusOr<client::MailAddress> to = client::ParseMailAddress(options.to);
    if (!to.ok()) return to.status();
    accounts.recipient = *to;
    absl::StatusOr<std::string> key = session->KeyRequest(to->account, to->domain);
    if (!key.ok()) {
      return error::Unavailable(
          absl::StrCat("KEYREQUEST ", options.to, ": ", key.status().message()));
    }
    accounts.recipient_key = *key;
  }

  accounts.sender = {FreshName("s"), options.domain};
  if (options.register_sender) {
    absl::StatusOr<crypto::KeyPair> identity =
        RegisterFresh(*session, accounts.sender, options.invite_token);
    if (!identity.ok()) return identity.status();
    accounts.sender_identity = std::move(*identity);
  } else {
    accounts.sender_identity = crypto::GenerateKeyPair();
  }
  session->Quit().IgnoreError();
  return accounts;
}

absl::StatusOr<std::vector<PreparedMail>> BuildMails(const Accounts& accounts,
                                                     size_t count, size_t body_size,
                                                     unsigned threads) {
  // The sealed body is the inner message (headers, text, signature) plus
  // the sealed box's overhead: measure it once with no text.
  absl::StatusOr<PreparedMail> probe = BuildOne(accounts, 0, 0);
  if (!probe.ok()) return probe.status();
  const size_t overhead = probe->message.header.body_len;
  const size_t text_size = body_size > overhead ? body_size - overhead : 0;

  std::vector<PreparedMail> mails(count);
  std::atomic<size_t> next{0};
  std::mutex failure_mu;
  absl::Status failure;
  auto work = [&] {
    while (true) {
      const size_t i = next.fetch_add(1);
      if (i >= count) return;
      absl::StatusOr<PreparedMail> mail = BuildOne(accounts, text_size, i);
      if (!mail.ok()) {
        std::lock_guard<std::mutex> lock(failure_mu);
        if (failure.ok()) failure = mail.status();
        next.store(count);
        return;
      }
      mails[i] = std::move(*mail);
    }
  };
  std::vector<std::thread> workers;
  threads = std::max(1u, threads);
  for (unsigned t = 0; t < threads; ++t) workers.emplace_back(work);
  for (std::thread& worker : workers) worker.join();
  if (!failure.ok()) return failure;
  return mails;
}

}  // namespace cmtp::bench
