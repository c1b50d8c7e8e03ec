// libFuzzer target for what a mail's reader parses that others shaped: the
// inner message (its plaintext is whatever the sender sealed), the log's lines
// (every server on the way appends one), an attachment's plaintext (the
// sender's too), an xzibit's header (the server's answer at login) and the
// stored message bytes a FETCH returns.
// Input: [selector][bytes...]; the selector picks the parser. Checks:
// - inner message: text without the magic is kept whole and unsigned; a
//   structured one re-encodes to the very bytes its signature covers (one
//   encoding per message), and that re-encoding decodes and verifies;
// - log: the lines and their NULs give the log back; an entry made again
//   from a parsed entry's fields parses back to them and verifies;
// - attachment: the bytes sealed to a key either open to a name (the field
//   up to its first NUL) and the rest as data, which seal and open again
//   to the same, or are refused; the raw bytes never open as a box;
// - xzibit: a header is accepted whole or not at all (one byte less is
//   refused), with the salt size of its version;
// - stored message: one that parses serializes back to its very bytes, and
//   a byte less or more is refused.
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/crypto/inner_message.h"
#include "lib/crypto/log_entry.h"
#include "lib/crypto/sealed.h"
#include "lib/crypto/sodium.h"
#include "lib/crypto/xzibit.h"
#include "lib/wire/message_parser.h"
#include "lib/wire/serializer.h"
#include "tests/fuzz/fuzz_support.h"

namespace cmtp::crypto::fuzz {
namespace {

using wire::fuzz::Require;

// One key for every input: only the parsing is under test.
const KeyPair& Key() {
  static const KeyPair key = KeyPairFromSeed(std::string(kSeedSize, '\x5a'));
  return key;
}

bool SameMessage(const InnerMessage& a, const InnerMessage& b) {
  return a.timestamp_unix_ms == b.timestamp_unix_ms && a.from == b.from && a.to == b.to &&
         a.subject == b.subject && a.reply_to == b.reply_to && a.cc == b.cc &&
         a.content_type == b.content_type && a.text == b.text;
}

void CheckInner(std::string_view bytes) {
  absl::StatusOr<DecodedInner> decoded = DecodeInner(bytes);
  if (!bytes.starts_with("CMI1")) {
    Require(decoded.ok() && !decoded->structured && decoded->message.text == bytes,
            "raw text decodes as itself");
    Require(!VerifyInner(*decoded, Key().public_key), "raw text never verifies");
    return;
  }
  if (!decoded.ok()) return;
  Require(decoded->structured && decoded->signature.size() == kSignatureSize,
          "a structured message carries a 64-byte signature");
  (void)VerifyInner(*decoded, Key().public_key);
  const std::string again = EncodeSignedInner(decoded->message, Key().secret_key.view());
  const std::string_view covered = bytes.substr(0, bytes.size() - kSignatureSize);
  Require(again.size() == bytes.size() &&
              std::string_view(again).substr(0, covered.size()) == covered,
          "a decoded message re-encodes to the bytes its signature covers");
  absl::StatusOr<DecodedInner> redecoded = DecodeInner(again);
  Require(redecoded.ok() && redecoded->structured &&
              SameMessage(redecoded->message, decoded->message),
          "a re-encoded message decodes to the same fields");
  Require(VerifyInner(*redecoded, Key().public_key), "a re-encoded message verifies");
}

void CheckLog(std::string_view log) {
  const std::vector<LogLine> lines = ParseLogEntries(log);
  std::string joined;
  for (const LogLine& line : lines) {
    Require(line.text.find('\0') == std::string::npos, "a line holds no NUL");
    joined.append(line.text);
    joined.push_back('\0');
  }
  if (!log.empty() && log.back() != '\0') joined.pop_back();
  Require(joined == log, "the lines give the log back");

  const std::string message_id(32, 'i');
  for (const LogLine& line : lines) {
    if (!line.entry.has_value()) continue;
    const LogEntry& entry = *line.entry;
    Require(entry.signature.size() == kSignatureSize && entry.unix_ms >= 0 &&
                !entry.action.empty() && !entry.domain.empty(),
            "a parsed entry has its fields");
    (void)VerifyLogEntry(entry, message_id, Key().public_key);
    if (entry.action != kLogActionAccepted) continue;
    const std::string made =
        MakeLogEntry(entry.domain, entry.unix_ms, message_id, Key().secret_key.view());
    const std::vector<LogLine> remade = ParseLogEntries(made);
    Require(remade.size() == 1 && remade[0].entry.has_value(),
            "a made entry parses as one entry");
    const LogEntry& back = *remade[0].entry;
    Require(back.action == entry.action && back.domain == entry.domain &&
                back.unix_ms == entry.unix_ms,
            "a made entry parses back to its fields");
    Require(VerifyLogEntry(back, message_id, Key().public_key), "a made entry verifies");
  }
}

void CheckAttachment(std::string_view plaintext) {
  Require(!OpenSealed(Key(), plaintext).ok(), "raw bytes never open as a sealed box");
  absl::StatusOr<std::string> sealed = SealTo(Key().public_key, plaintext);
  Require(sealed.ok(), "any bytes can be sealed");
  absl::StatusOr<std::string> opened = OpenSealed(Key(), *sealed);
  Require(opened.ok() && *opened == plaintext, "sealed bytes open to themselves");
  absl::StatusOr<Attachment> attachment = OpenAttachment(Key(), *sealed);
  if (!attachment.ok()) return;
  Require(plaintext.size() >= kAttachmentNameField, "an attachment has its name field");
  const std::string_view field = plaintext.substr(0, kAttachmentNameField);
  Require(attachment->filename == field.substr(0, field.find('\0')) &&
              attachment->data == plaintext.substr(kAttachmentNameField),
          "an attachment is its name field and the rest");
  absl::StatusOr<std::string> resealed = SealAttachment(Key().public_key, *attachment);
  Require(resealed.ok(), "an opened attachment can be sealed again");
  absl::StatusOr<Attachment> reopened = OpenAttachment(Key(), *resealed);
  Require(reopened.ok() && reopened->filename == attachment->filename &&
              reopened->data == attachment->data,
          "a resealed attachment opens to the same");
}

void CheckXzibit(std::string_view xzibit) {
  absl::StatusOr<XzibitInfo> info = InspectXzibit(xzibit);
  if (!info.ok()) return;
  Require(info->version == 1 || info->version == 2, "a known version");
  Require(info->version == 1 ? xzibit.size() == kXzibitV1Size && info->salt.size() == 32
                             : info->salt.size() == kXzibitV2SaltSize,
          "the salt and size of its version");
  Require(!InspectXzibit(xzibit.substr(0, xzibit.size() - 1)).ok(),
          "one byte less is refused");
}

void CheckStoredMessage(std::string_view bytes) {
  const wire::Limits limits;
  absl::StatusOr<wire::MailMessage> message = wire::ParseMessage(bytes, limits);
  if (!message.ok()) return;
  Require(message->bytes == bytes, "a parsed message keeps its bytes");
  std::vector<std::string> attachments;
  for (size_t i = 0; i < message->attachment_spans.size(); ++i) {
    attachments.emplace_back(message->attachment(i));
  }
  Require(wire::SerializeMessage(message->header, message->log(), message->body(),
                                 attachments) == bytes,
          "a parsed message serializes to its bytes");
  Require(!wire::ParseMessage(bytes.substr(0, bytes.size() - 1), limits).ok(),
          "a byte less is refused");
  Require(!wire::ParseMessage(std::string(bytes) + '\0', limits).ok(),
          "a byte more is refused");
}

}  // namespace
}  // namespace cmtp::crypto::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cmtp::crypto::fuzz;
  if (size < 1) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 5) {
    case 0:
      CheckInner(bytes);
      break;
    case 1:
      CheckLog(bytes);
      break;
    case 2:
      CheckAttachment(bytes);
      break;
    case 3:
      CheckXzibit(bytes);
      break;
    case 4:
      CheckStoredMessage(bytes);
      break;
  }
  return 0;
}
