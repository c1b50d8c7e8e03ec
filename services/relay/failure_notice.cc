#include "services/relay/failure_notice.h"

#include <ctime>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/crypto/inner_message.h"
#include "lib/crypto/log_entry.h"
#include "lib/crypto/sealed.h"
#include "lib/wire/limits.h"
#include "lib/wire/message.h"
#include "lib/wire/message_id.h"
#include "lib/wire/message_parser.h"
#include "lib/wire/reply_parser.h"
#include "lib/wire/serializer.h"

namespace cmtp::relay {
namespace {

std::string FormatUtc(int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm parts{};
  if (gmtime_r(&seconds, &parts) == nullptr) return "(invalid time)";
  char text[32];
  const size_t length =
      std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S UTC", &parts);
  return length == 0 ? "(invalid time)" : std::string(text, length);
}

// "2 days 3 h", "1 h 5 min", "4 min 2 s", "3 s": the two largest units.
std::string FormatDuration(int64_t ms) {
  int64_t seconds = ms < 0 ? 0 : ms / 1000;
  const int64_t days = seconds / 86400;
  const int64_t hours = seconds % 86400 / 3600;
  const int64_t minutes = seconds % 3600 / 60;
  seconds %= 60;
  if (days > 0) return absl::StrCat(days, days == 1 ? " day " : " days ", hours, " h");
  if (hours > 0) return absl::StrCat(hours, " h ", minutes, " min");
  if (minutes > 0) return absl::StrCat(minutes, " min ", seconds, " s");
  return absl::StrCat(seconds, " s");
}

}  // namespace

std::string NoticeSubject(const NoticeFacts& facts) {
  return absl::StrCat("Undeliverable: message ", facts.message_id, " to ",
                      facts.recipient);
}

std::string NoticeText(const NoticeFacts& facts) {
  return absl::StrCat(
      "Your message ", facts.message_id, " to ", facts.recipient,
      " could not be delivered.\n\n", "Destination: ", facts.recipient, "\n",
      "Reason: ", facts.reason, "\n", "Attempts: ", facts.attempts, "\n",
      "Queued: ", FormatUtc(facts.queued_ms), "\n",
      "Given up: ", FormatUtc(facts.given_up_ms), " (after ",
      FormatDuration(facts.given_up_ms - facts.queued_ms), ")\n\n",
      "The message has been removed from the queue; send it again to retry.\n");
}

absl::StatusOr<std::string> KeyFromOwnKeyBlock(std::string_view key_block,
                                               std::string_view server_public_key) {
  wire::ReplyParser parser(wire::ReplyKind::kKeyBlock, wire::Limits{});
  const wire::ReplyParser::Result parsed = parser.Feed(key_block);
  if (parsed.state != wire::ReplyParser::State::kReplyReady ||
      parsed.consumed != key_block.size()) {
    return error::Internal("the keyserver returned a malformed key block");
  }
  wire::Reply reply = parser.TakeReply();
  if (reply.has_status || !reply.key_available ||
      reply.public_key.size() != crypto::kPublicKeySize) {
    return error::Internal("the keyserver returned no key in its key block");
  }
  if (!crypto::Verify(server_public_key, reply.public_key, reply.signature)) {
    return error::CryptoFailure(
        "the sender's key block is not signed by our server key (is --server-key-file "
        "the keyserver's?)");
  }
  return std::move(reply.public_key);
}

absl::StatusOr<BuiltNotice> ComposeFailureNotice(const NoticeFacts& facts,
                                                 std::string_view domain,
                                                 std::string_view sender_public_key,
                                                 const crypto::KeyPair& server_key) {
  crypto::InnerMessage inner;
  inner.timestamp_unix_ms = facts.given_up_ms;
  inner.from = absl::StrCat(ToAbsl(kPostmaster), "@", ToAbsl(domain));
  inner.to = absl::StrCat(facts.sender_account, "@", ToAbsl(domain));
  inner.subject = NoticeSubject(facts);
  inner.text = NoticeText(facts);
  absl::StatusOr<std::string> body = crypto::SealTo(
      sender_public_key, crypto::EncodeSignedInner(inner, server_key.secret_key.view()));
  if (!body.ok()) return body.status();

  wire::MailHeader header;
  header.dst_account = facts.sender_account;
  header.dst_domain = std::string(domain);
  header.src_account = std::string(kPostmaster);
  header.src_domain = std::string(domain);
  // The id does not cover the log, so it is known before the log entry that
  // signs it is made.
  absl::StatusOr<wire::MailMessage> unsigned_message =
      wire::ParseMessage(wire::SerializeMessage(header, "", *body, {}), wire::Limits{});
  if (!unsigned_message.ok()) return unsigned_message.status();
  BuiltNotice notice;
  notice.message_id = wire::MessageId(*unsigned_message);
  const std::string entry = crypto::MakeLogEntry(
      domain, facts.given_up_ms, notice.message_id, server_key.secret_key.view());
  notice.message_bytes = wire::SerializeMessage(header, entry, *body, {});
  return notice;
}

}  // namespace cmtp::relay
