// One delivery attempt of a queued message to its domain's server: MAIL with
// the stored message bytes, and the signed status reply checked against the
// pinned server key over exactly those bytes. A verified SUCCESS is a receipt
// that ends the delivery; a verified FAILURE is permanent; anything else
// (unreachable, timeout, a reply that does not verify) is temporary.
// Reference peers get the reference server's 64-byte trailer and no reply is
// awaited: a completed write counts as delivered.
#ifndef CMTP_SERVICES_RELAY_MAIL_DELIVERY_H_
#define CMTP_SERVICES_RELAY_MAIL_DELIVERY_H_

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "services/relay/peer_connector.h"

namespace cmtp::relay {

struct DeliveryOutcome {
  enum class Kind { kDelivered, kTemporary, kPermanent };
  Kind kind = Kind::kTemporary;
  // Delivered: the peer's receipt detail (the message id). Otherwise: why,
  // fit for last_error and the failure notice.
  std::string detail;
  // Why it failed, as one of a few fixed words for metric labels and log
  // queries (never a domain or an address): "unreachable" (no session:
  // DNS, connect, key request or pin refused), "io" (the exchange broke or
  // timed out), "protocol" (no status reply), "bad_signature", "refused"
  // (the peer's verified FAILURE). Empty when delivered.
  std::string_view reason;
};

// "delivered", "temporary_failure" or "permanent_failure": the outcome as
// logs and metric labels name it.
std::string_view OutcomeName(DeliveryOutcome::Kind kind);

class MailDelivery {
 public:
  // `connector` must outlive this. `steady_now_ms` is a monotonic clock.
  // Thread-safe.
  MailDelivery(PeerConnector& connector, std::set<std::string> reference_peers,
               std::function<int64_t()> steady_now_ms);

  DeliveryOutcome Deliver(std::string_view domain, std::string_view message_id,
                          std::string_view message_bytes);

 private:
  DeliveryOutcome SendMail(PeerSession& peer, std::string_view message_id,
                           std::string_view message_bytes);
  DeliveryOutcome SendToReference(PeerSession& peer, std::string_view message_bytes);

  PeerConnector& connector_;
  const std::set<std::string> reference_peers_;
  const std::function<int64_t()> steady_now_ms_;
};

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_MAIL_DELIVERY_H_
