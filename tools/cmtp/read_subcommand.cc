// cmtp read ID: fetch (the id is checked against the content), open with our
// key, verify the sender's signature with their key from KEYREQUEST (pinned),
// print, and save the attachments.
#include "lib/client/failures.h"
#include "lib/client/received_mail.h"
#include "tools/cmtp/account_session.h"
#include "tools/cmtp/key_trust.h"
#include "tools/cmtp/mail_presenter.h"
#include "tools/cmtp/subcommands.h"

namespace cmtp::cli {

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
      absl::StatusOr<std::string> key = FetchTrustedKey(
          account->session, *pins, *sender, options->accept_new_key, terminal.err);
      // A changed pin or a missing key is shown as NOT VERIFIED; a network
      // failure ends the command.
      if (key.ok()) {
        sender_key = std::move(*key);
      } else if (client::IsCryptoFailure(key.status()) ||
                 key.status().code() == absl::StatusCode::kNotFound) {
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
  const std::string out_dir =
      line.Get("out-dir").empty() ? "./" + message_id : line.Get("out-dir");
  return PresentMail(*opened, check, out_dir, terminal);
}

}  // namespace cmtp::cli
