// cmtp decrypt: opens a stored message (the bytes after MAIL\0, e.g. a file
// from a reference server's mail folder) offline with a sealed key pair. The
// sender's signature is checked against the pins only: no network.
#include "absl/strings/str_cat.h"
#include "lib/client/local_files.h"
#include "lib/client/message_bytes.h"
#include "lib/client/password.h"
#include "lib/client/received_mail.h"
#include "lib/common/errors.h"
#include "lib/crypto/xzibit.h"
#include "lib/wire/message_id.h"
#include "tools/cmtp/common_options.h"
#include "tools/cmtp/mail_presenter.h"
#include "tools/cmtp/pins.h"
#include "tools/cmtp/subcommands.h"

namespace cmtp::cli {
namespace {

// Reference servers store a 64-byte proof-of-work trailer after a message.
constexpr size_t kReferenceTrailerBytes = 64;

absl::StatusOr<wire::MailMessage> ReadStoredMessage(const std::string& path) {
  absl::StatusOr<std::string> bytes = client::ReadWholeFile(path);
  if (!bytes.ok()) return bytes.status();
  // Accept a capture that still starts with the command word.
  std::string_view message_bytes = *bytes;
  constexpr std::string_view kMailWord("MAIL\0", 5);
  if (message_bytes.substr(0, kMailWord.size()) == kMailWord) {
    message_bytes.remove_prefix(kMailWord.size());
  }
  absl::StatusOr<client::ParsedMessageBytes> parsed =
      client::ParseMessageBytes(message_bytes, wire::Limits{});
  if (!parsed.ok()) {
    return error::InvalidInput(absl::StrCat(path, ": ", parsed.status().message()));
  }
  if (parsed->trailing_bytes != 0 && parsed->trailing_bytes != kReferenceTrailerBytes) {
    return error::InvalidInput(absl::StrCat(path, ": ", parsed->trailing_bytes,
                                            " unexpected bytes after the message"));
  }
  return std::move(parsed->message);
}

}  // namespace

void DeclareDecrypt(CommandLine& line) {
  line.config().Add("xzibit", "", "", "the sealed key pair (v1 or v2 xzibit file)");
  line.config().Add("message", "", "", "the stored message bytes (after MAIL\\0)");
  line.config().Add("out-dir", "", "", "folder for attachments (default ./ID)");
}

absl::Status RunDecrypt(const CommandLine& line, Terminal& terminal) {
  if (line.Get("xzibit").empty() || line.Get("message").empty()) {
    return error::InvalidInput("--xzibit FILE and --message FILE are required");
  }
  absl::StatusOr<std::string> xzibit = client::ReadWholeFile(line.Get("xzibit"));
  if (!xzibit.ok()) return xzibit.status();
  absl::StatusOr<wire::MailMessage> message = ReadStoredMessage(line.Get("message"));
  if (!message.ok()) return message.status();

  // The reader is the message's recipient unless --account says otherwise
  // (the v2 xzibit binds the account name).
  client::MailAddress reader{message->header.dst_account, message->header.dst_domain};
  if (!line.Get("account").empty()) {
    absl::StatusOr<client::MailAddress> account =
        client::ParseMailAddress(line.Get("account"));
    if (!account.ok()) return account.status();
    reader = *account;
  }
  absl::StatusOr<CommonOptions> options = ResolveCommonOptions(line);
  if (!options.ok()) return options.status();
  absl::StatusOr<PinStore> pins = PinStore::Load(options->state.PinsPath());
  if (!pins.ok()) return pins.status();
  absl::StatusOr<crypto::SecretBytes> password = client::ObtainPassword(
      options->password_file, absl::StrCat("Password for ", reader.ToString()), false);
  if (!password.ok()) return password.status();
  absl::StatusOr<crypto::KeyPair> identity =
      crypto::OpenXzibit(*xzibit, password->view(), reader.ToString());
  if (!identity.ok()) return identity.status();
  absl::StatusOr<client::OpenedMail> opened = client::OpenMail(*message, *identity);
  if (!opened.ok()) return opened.status();

  std::optional<std::string> sender_key;
  std::string key_problem;
  if (opened->inner.structured) {
    sender_key = pins->Find(opened->inner.message.from);
    if (!sender_key.has_value()) {
      key_problem =
          absl::StrCat("no pinned key for ", opened->inner.message.from,
                       " (fetch it with: cmtp key ", opened->inner.message.from, ")");
    }
  }
  client::SignatureCheck check = client::CheckSignature(*opened, reader, sender_key);
  if (!key_problem.empty() && check.verdict == client::SignatureVerdict::kNotVerified) {
    check.reason = key_problem;
  }
  const std::string out_dir = line.Get("out-dir").empty()
                                  ? "./" + wire::MessageId(*message)
                                  : line.Get("out-dir");
  return PresentMail(*opened, check, out_dir, terminal);
}

}  // namespace cmtp::cli
