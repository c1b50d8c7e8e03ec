// cmtp read ID: fetch (the id is checked against the content), open with our
// key, verify the sender's signature with their key from KEYREQUEST (pinned)
// and each server's log entry with that domain's server key, print, and save
// the attachments.
#include "absl/strings/match.h"
#include "lib/client/failures.h"
#include "lib/client/message_path.h"
#include "lib/client/received_mail.h"
#include "lib/common/strings.h"
#include "tools/cmtp/account_session.h"
#include "tools/cmtp/key_trust.h"
#include "tools/cmtp/mail_presenter.h"
#include "tools/cmtp/subcommands.h"

namespace cmtp::cli {
namespace {

// Failure notices come from this account of the reader's own domain and are
// signed with that server's key (docs/protocol.md, "Failure notice").
constexpr char kPostmaster[] = "postmaster";

bool IsOwnPostmaster(const client::MailAddress& sender,
                     const client::MailAddress& reader) {
  return sender.account == kPostmaster &&
         absl::EqualsIgnoreCase(ToAbsl(sender.domain), ToAbsl(reader.domain));
}

// Problems with the sender's key that still let the message be shown, as
// NOT VERIFIED: a changed pin, no key, a server that could not get it.
bool ShowsAsUnverified(const absl::Status& status) {
  return client::IsCryptoFailure(status) || absl::IsNotFound(status) ||
         absl::IsPermissionDenied(status);
}

// The key the sender's signature must verify with: our server's own for
// its failure notices, else the sender's key through our server, pinned.
absl::StatusOr<std::string> SenderKey(AccountSession& account, PinStore& pins,
                                      const client::MailAddress& sender,
                                      const CommonOptions& options, Terminal& terminal) {
  if (IsOwnPostmaster(sender, account.address)) return account.session.ServerKey();
  return FetchTrustedKey(account.session, pins, sender, options.accept_new_key,
                         terminal.err);
}

std::vector<client::Hop> CheckPath(AccountSession& account,
                                   const wire::MailMessage& message) {
  return client::CheckMessagePath(
      message, [&account](std::string_view domain) -> absl::StatusOr<std::string> {
        if (absl::EqualsIgnoreCase(ToAbsl(domain), ToAbsl(account.address.domain))) {
          return account.session.ServerKey();
        }
        return account.session.DomainServerKey(domain);
      });
}

}  // namespace

void DeclareRead(CommandLine& line) {
  line.config().Add("out-dir", "", "", "folder for attachments (default ./ID)");
}

absl::Status RunRead(const CommandLine& line, Terminal& terminal) {
  const std::string& message_id = line.positional()[0];
  absl::StatusOr<CommonOptions> options = ResolveCommonOptions(line);
  if (!options.ok()) return options.status();
  absl::StatusOr<PinStore> pins = PinStore::Load(options->state.PinsPath());
  if (!pins.ok()) return pins.status();
  absl::StatusOr<AccountSession> account = OpenAccountSession(*options, terminal);
  if (!account.ok()) return account.status();

  absl::StatusOr<wire::MailMessage> message = account->session.Fetch(message_id);
  if (!message.ok()) return message.status();
  absl::StatusOr<client::OpenedMail> opened =
      client::OpenMail(*message, account->identity);
  if (!opened.ok()) return opened.status();

  std::optional<std::string> sender_key;
  std::string key_problem;
  if (opened->inner.structured) {
    absl::StatusOr<client::MailAddress> sender = client::ClaimedSender(*opened);
    if (!sender.ok()) {
      key_problem = std::string(sender.status().message());
    } else {
      absl::StatusOr<std::string> key =
          SenderKey(*account, *pins, *sender, *options, terminal);
      // A network failure ends the command; the rest is shown as NOT VERIFIED.
      if (key.ok()) {
        sender_key = std::move(*key);
      } else if (ShowsAsUnverified(key.status())) {
        key_problem = std::string(key.status().message());
      } else {
        return key.status();
      }
    }
  }
  client::SignatureCheck check =
      client::CheckSignature(*opened, account->address, sender_key);
  if (!key_problem.empty() && check.verdict == client::SignatureVerdict::kNotVerified) {
    check.reason = key_problem;
  }
  const std::vector<client::Hop> path = CheckPath(*account, *message);
  const std::string out_dir =
      line.Get("out-dir").empty() ? "./" + message_id : line.Get("out-dir");
  return PresentMail(*opened, check, out_dir, terminal, path);
}

}  // namespace cmtp::cli
