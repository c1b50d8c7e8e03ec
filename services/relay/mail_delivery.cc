#include "services/relay/mail_delivery.h"

#include <cstdio>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/strings.h"
#include "lib/crypto/protocol_signatures.h"
#include "lib/wire/command.h"
#include "lib/wire/reply.h"

namespace cmtp::relay {

std::string_view OutcomeName(DeliveryOutcome::Kind kind) {
  switch (kind) {
    case DeliveryOutcome::Kind::kDelivered:
      return "delivered";
    case DeliveryOutcome::Kind::kTemporary:
      return "temporary_failure";
    case DeliveryOutcome::Kind::kPermanent:
      return "permanent_failure";
  }
  return "unknown";
}
namespace {

// What the reference server reads after a MAIL (and never checks).
constexpr size_t kReferenceTrailerSize = 64;
// A peer that closed an idle connection fails the next exchange at once;
// a failure that took longer than this is the peer being slow or gone, and
// is left to the queue's retry rather than tried again here.
constexpr int64_t kStaleConnectionFailureMs = 1000;

using Kind = DeliveryOutcome::Kind;

DeliveryOutcome Outcome(Kind kind, std::string detail, std::string_view reason = "") {
  return DeliveryOutcome{kind, std::move(detail), reason};
}

// "MAIL\0" and the message bytes, as one request.
std::string MailRequest(std::string_view message_bytes) {
  const std::string_view word = wire::CommandWord(wire::CommandKind::kMail);
  std::string request;
  request.reserve(word.size() + 1 + message_bytes.size() + kReferenceTrailerSize);
  request.append(word);
  request.push_back('\0');
  request.append(message_bytes);
  return request;
}

}  // namespace

MailDelivery::MailDelivery(PeerConnector& connector,
                           std::set<std::string> reference_peers,
                           std::function<int64_t()> steady_now_ms)
    : connector_(connector),
      reference_peers_(std::move(reference_peers)),
      steady_now_ms_(std::move(steady_now_ms)) {}

DeliveryOutcome MailDelivery::Deliver(std::string_view domain,
                                      std::string_view message_id,
                                      std::string_view message_bytes) {
  const bool reference = reference_peers_.contains(std::string(domain));
  bool reused = false;
  absl::StatusOr<std::unique_ptr<PeerSession>> peer =
      connector_.Acquire(domain, /*allow_idle=*/!reference, &reused);
  if (!peer.ok()) {
    return Outcome(Kind::kTemporary, std::string(peer.status().message()), "unreachable");
  }
  if (reference) return SendToReference(**peer, message_bytes);

  const int64_t started_ms = steady_now_ms_();
  DeliveryOutcome outcome = SendMail(**peer, message_id, message_bytes);
  if (outcome.kind == Kind::kTemporary && reused &&
      steady_now_ms_() - started_ms < kStaleConnectionFailureMs) {
    // The peer closed the idle connection meanwhile: one more try on a fresh
    // one. Should the first send have arrived after all, the peer stores the
    // message once (it deduplicates by id).
    peer = connector_.Acquire(domain, /*allow_idle=*/false, &reused);
    if (!peer.ok()) {
      return Outcome(Kind::kTemporary, std::string(peer.status().message()),
                     "unreachable");
    }
    outcome = SendMail(**peer, message_id, message_bytes);
  }
  // Only a session that ended its exchange cleanly is worth keeping.
  if (outcome.kind == Kind::kDelivered) connector_.Release(*std::move(peer));
  return outcome;
}

DeliveryOutcome MailDelivery::SendMail(PeerSession& peer, std::string_view message_id,
                                       std::string_view message_bytes) {
  absl::StatusOr<wire::Reply> reply = peer.session->connection().Exchange(
      MailRequest(message_bytes), wire::ReplyKind::kStatus);
  if (!reply.ok()) {
    return Outcome(
        Kind::kTemporary,
        absl::StrCat(peer.domain, " (", peer.address, "): ", reply.status().message()),
        "io");
  }
  if (!reply->has_status) {
    return Outcome(Kind::kTemporary,
                   absl::StrCat(peer.domain, " answered MAIL without a status reply"),
                   "protocol");
  }
  const wire::Status& status = reply->status;
  if (crypto::VerifyStatus(peer.server_key, status, message_bytes)) {
    if (!status.success) {
      return Outcome(Kind::kPermanent,
                     absl::StrCat(peer.domain, " refused the message: ", status.detail),
                     "refused");
    }
    if (status.detail != message_id) {
      // Still a receipt for exactly these bytes; only the label is odd.
      std::fprintf(stderr, "relay: %s acknowledged %s naming it \"%s\"\n",
                   peer.domain.c_str(), std::string(message_id).c_str(),
                   status.detail.c_str());
    }
    return Outcome(Kind::kDelivered, status.detail);
  }
  // A refusal signed over no request at all: the peer judged the message
  // from its header (too large, malformed) before reading it.
  if (!status.success && crypto::VerifyStatus(peer.server_key, status, "")) {
    return Outcome(Kind::kPermanent,
                   absl::StrCat(peer.domain, " refused the message: ", status.detail),
                   "refused");
  }
  return Outcome(
      Kind::kTemporary,
      absl::StrCat("the ", status.success ? "SUCCESS" : "FAILURE", " reply of ",
                   peer.domain, " does not verify with its pinned server key"),
      "bad_signature");
}

DeliveryOutcome MailDelivery::SendToReference(PeerSession& peer,
                                              std::string_view message_bytes) {
  std::string request = MailRequest(message_bytes);
  request.append(kReferenceTrailerSize, '\0');
  client::Connection& connection = peer.session->connection();
  if (absl::Status sent = connection.Send(request); !sent.ok()) {
    return Outcome(Kind::kTemporary,
                   absl::StrCat(peer.domain, " (", peer.address, "): ", sent.message()),
                   "io");
  }
  // The reference client says goodbye after MAIL; the reply is not awaited
  // (the reference never acknowledges MAIL, so nothing could be learnt).
  const std::string goodbye = absl::StrCat(
      ToAbsl(wire::CommandWord(wire::CommandKind::kObai)), absl::string_view("\0", 1));
  (void)connection.Send(goodbye);
  return Outcome(Kind::kDelivered, "written to a reference server (no receipt)");
}

}  // namespace cmtp::relay
