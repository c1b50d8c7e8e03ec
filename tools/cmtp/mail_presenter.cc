#include "tools/cmtp/mail_presenter.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/common/errors.h"
#include "tools/cmtp/attachment_files.h"
#include "tools/cmtp/time_format.h"

namespace cmtp::cli {
namespace {

void PrintHeaders(const client::OpenedMail& mail, std::ostream& out) {
  if (!mail.inner.structured) {
    // Raw text carries no headers of its own: show the (unsigned) envelope.
    out << "From: " << mail.envelope.src_account << "@" << mail.envelope.src_domain
        << "\n"
        << "To: " << mail.envelope.dst_account << "@" << mail.envelope.dst_domain << "\n";
    return;
  }
  const crypto::InnerMessage& inner = mail.inner.message;
  out << "From: " << inner.from << "\n"
      << "To: " << inner.to << "\n"
      << "Date: " << FormatUtc(inner.timestamp_unix_ms) << "\n"
      << "Subject: " << inner.subject << "\n";
  if (!inner.cc.empty()) out << "Cc: " << absl::StrJoin(inner.cc, ", ") << "\n";
  if (!inner.reply_to.empty()) out << "Reply-To: " << inner.reply_to << "\n";
}

void PrintSignature(const client::SignatureCheck& check, Terminal& terminal) {
  switch (check.verdict) {
    case client::SignatureVerdict::kVerified:
      terminal.out << kSignatureVerified << " (" << check.signer << ")\n";
      return;
    case client::SignatureVerdict::kUnsigned:
      terminal.out << kSignatureNone << "\n";
      return;
    case client::SignatureVerdict::kNotVerified:
      terminal.out << kSignatureNotVerified << "\n";
      terminal.err << "WARNING: the signature did not verify: " << check.reason << "\n";
      return;
  }
}

// One line per log line: who accepted the message, when, and whether their
// signature holds.
void PrintPath(const std::vector<client::Hop>& path, Terminal& terminal) {
  if (path.empty()) return;
  terminal.out << kPathHeading << "\n";
  for (const client::Hop& hop : path) {
    if (!hop.entry.has_value()) {
      terminal.out << "  \"" << hop.text << "\": not a signed entry\n";
      continue;
    }
    terminal.out << "  " << hop.entry->action << " by " << hop.entry->domain << " at "
                 << FormatUtc(hop.entry->unix_ms) << ": ";
    switch (hop.verdict) {
      case client::HopVerdict::kVerified:
        terminal.out << "verified\n";
        break;
      case client::HopVerdict::kNotVerified:
        terminal.out << "NOT VERIFIED\n";
        terminal.err << "WARNING: the log entry of " << hop.entry->domain
                     << " is not signed by its server key\n";
        break;
      case client::HopVerdict::kNotChecked:
        terminal.out << "not checked (" << hop.reason << ")\n";
        break;
      case client::HopVerdict::kNotAnEntry:
        terminal.out << "not a signed entry\n";
        break;
    }
  }
}

}  // namespace

absl::Status PresentMail(const client::OpenedMail& mail,
                         const client::SignatureCheck& check,
                         const std::string& attachment_dir, Terminal& terminal,
                         const std::vector<client::Hop>& path) {
  PrintHeaders(mail, terminal.out);
  PrintSignature(check, terminal);
  PrintPath(path, terminal);
  terminal.out << "\n" << mail.inner.message.text;
  if (!mail.inner.message.text.empty() && mail.inner.message.text.back() != '\n') {
    terminal.out << "\n";
  }
  absl::StatusOr<std::vector<SavedAttachment>> saved =
      SaveAttachments(attachment_dir, mail.attachments);
  if (!saved.ok()) return saved.status();
  if (!saved->empty()) terminal.out << "\nAttachments:\n";
  for (const SavedAttachment& attachment : *saved) {
    terminal.out << "  " << attachment.path << " (" << attachment.bytes << " bytes)";
    if (attachment.renamed) terminal.out << " [sent as unsafe or duplicate name]";
    terminal.out << "\n";
  }
  if (check.verdict == client::SignatureVerdict::kNotVerified) {
    return error::CryptoFailure(absl::StrCat("signature not verified: ", check.reason));
  }
  return absl::OkStatus();
}

}  // namespace cmtp::cli
