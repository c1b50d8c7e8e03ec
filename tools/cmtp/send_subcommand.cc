// cmtp send: the text comes from stdin; every recipient's key is fetched and
// checked against its pin before anything is sent, then each recipient gets
// its own copy, signed by us and sealed to them.
#include <algorithm>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "lib/client/outgoing_mail.h"
#include "lib/common/errors.h"
#include "tools/cmtp/account_session.h"
#include "tools/cmtp/attachment_files.h"
#include "tools/cmtp/key_trust.h"
#include "tools/cmtp/subcommands.h"
#include "tools/cmtp/time_format.h"

namespace cmtp::cli {
namespace {

struct Recipients {
  client::MailAddress to;
  std::vector<client::MailAddress> cc;
  // `to` then the CCs, each once: who gets a copy.
  std::vector<client::MailAddress> all;
};

absl::StatusOr<Recipients> ParseRecipients(const CommandLine& line) {
  if (line.Get("to").empty()) return error::InvalidInput("--to USER@DOMAIN is required");
  absl::StatusOr<client::MailAddress> to = client::ParseMailAddress(line.Get("to"));
  if (!to.ok()) return to.status();
  Recipients recipients{*to, {}, {*to}};
  for (const std::string& text : line.Repeated("cc")) {
    absl::StatusOr<client::MailAddress> cc = client::ParseMailAddress(text);
    if (!cc.ok()) return cc.status();
    recipients.cc.push_back(*cc);
    if (std::find(recipients.all.begin(), recipients.all.end(), *cc) ==
        recipients.all.end()) {
      recipients.all.push_back(*cc);
    }
  }
  return recipients;
}

absl::StatusOr<std::vector<crypto::Attachment>> LoadAttachments(const CommandLine& line) {
  std::vector<crypto::Attachment> attachments;
  for (const std::string& path : line.Repeated("attach")) {
    absl::StatusOr<crypto::Attachment> attachment = LoadAttachment(path);
    if (!attachment.ok()) return attachment.status();
    attachments.push_back(std::move(*attachment));
  }
  return attachments;
}

}  // namespace

void DeclareSend(CommandLine& line) {
  line.config().Add("to", "", "", "recipient USER@DOMAIN");
  line.config().Add("subject", "", "", "subject line");
  line.config().Add("reply-to", "", "", "address replies should go to");
  line.AddRepeated("cc", "also send a copy to USER@DOMAIN");
  line.AddRepeated("attach", "attach FILE (sent under its base name)");
}

absl::Status RunSend(const CommandLine& line, Terminal& terminal) {
  absl::StatusOr<Recipients> recipients = ParseRecipients(line);
  if (!recipients.ok()) return recipients.status();
  absl::StatusOr<std::vector<crypto::Attachment>> attachments = LoadAttachments(line);
  if (!attachments.ok()) return attachments.status();
  if (!line.Get("reply-to").empty()) {
    if (absl::Status valid = client::ParseMailAddress(line.Get("reply-to")).status();
        !valid.ok()) {
      return valid;
    }
  }
  absl::StatusOr<CommonOptions> options = ResolveCommonOptions(line);
  if (!options.ok()) return options.status();
  absl::StatusOr<PinStore> pins = PinStore::Load(options->state.PinsPath());
  if (!pins.ok()) return pins.status();
  const std::string text(std::istreambuf_iterator<char>(terminal.in), {});

  absl::StatusOr<AccountSession> account = OpenAccountSession(*options, terminal);
  if (!account.ok()) return account.status();

  std::vector<std::string> recipient_keys;
  for (const client::MailAddress& recipient : recipients->all) {
    absl::StatusOr<std::string> key = FetchTrustedKey(
        account->session, *pins, recipient, options->accept_new_key, terminal.err);
    if (!key.ok()) return key.status();
    recipient_keys.push_back(std::move(*key));
  }

  client::OutgoingMail mail;
  mail.sender = account->address;
  mail.inner.timestamp_unix_ms = NowUnixMs();
  mail.inner.from = account->address.ToString();
  mail.inner.to = recipients->to.ToString();
  mail.inner.subject = line.Get("subject");
  mail.inner.reply_to = line.Get("reply-to");
  for (const client::MailAddress& cc : recipients->cc)
    mail.inner.cc.push_back(cc.ToString());
  mail.inner.text = text;
  mail.attachments = std::move(*attachments);

  const bool several = recipients->all.size() > 1;
  for (size_t i = 0; i < recipients->all.size(); ++i) {
    mail.recipient = recipients->all[i];
    mail.recipient_public_key = recipient_keys[i];
    absl::StatusOr<wire::MailMessage> message =
        client::BuildMail(mail, account->identity);
    if (!message.ok()) return message.status();
    absl::StatusOr<std::string> id = account->session.SendMail(*message);
    if (!id.ok()) {
      terminal.err << "cmtp: sending to " << mail.recipient.ToString() << " failed\n";
      return id.status();
    }
    terminal.out << *id;
    if (several) terminal.out << " " << mail.recipient.ToString();
    terminal.out << "\n";
  }
  return absl::OkStatus();
}

}  // namespace cmtp::cli
