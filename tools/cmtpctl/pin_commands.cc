// cmtpctl pins list|repin: the server keys of other domains, pinned by the
// relay on first contact. A domain that later presents another key is
// refused until an operator checks the new key and re-pins it here.
#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/crypto/sodium.h"
#include "tools/cmtp/time_format.h"
#include "tools/cmtpctl/operator_commands.h"

namespace cmtp::ctl {
namespace {

absl::StatusOr<v1::ListPinsResponse> FetchPins(OperatorContext& context,
                                               v1::Relay::StubInterface& relay) {
  v1::ListPinsResponse response;
  const grpc::Status status =
      relay.ListPins(context.NewCall().get(), v1::ListPinsRequest(), &response);
  if (!status.ok()) return RpcFailure("ListPins", status);
  return response;
}

// The key to pin: --key, nothing with --forget, or the refused key.
absl::StatusOr<std::string> KeyToPin(OperatorContext& context,
                                     v1::Relay::StubInterface& relay,
                                     const std::string& domain) {
  const std::string hex = context.line().Get("key");
  absl::StatusOr<bool> forget = context.line().GetBool("forget");
  if (!forget.ok()) return forget.status();
  if (*forget && !hex.empty()) {
    return error::InvalidInput("give --key or --forget, not both");
  }
  if (*forget) return std::string();
  if (!hex.empty()) {
    absl::StatusOr<std::string> key = crypto::FromHex(hex);
    if (!key.ok() || key->size() != crypto::kPublicKeySize) {
      return error::InvalidInput("--key must be 64 hex digits (a 32-byte server key)");
    }
    return key;
  }
  absl::StatusOr<v1::ListPinsResponse> pins = FetchPins(context, relay);
  if (!pins.ok()) return pins.status();
  for (const v1::Pin& pin : pins->pins()) {
    if (pin.domain() == domain && !pin.refused_public_key().empty()) {
      return pin.refused_public_key();
    }
  }
  return error::NotFound(absl::StrCat(domain,
                                      " has presented no refused key: give --key HEX "
                                      "or --forget"));
}

}  // namespace

absl::Status ListPins(OperatorContext& context) {
  absl::StatusOr<v1::Relay::StubInterface*> relay = context.Relay();
  if (!relay.ok()) return relay.status();
  absl::StatusOr<v1::ListPinsResponse> pins = FetchPins(context, **relay);
  if (!pins.ok()) return pins.status();
  std::ostream& out = context.terminal().out;
  for (const v1::Pin& pin : pins->pins()) {
    out << pin.domain() << "  pinned " << crypto::ToHex(pin.server_public_key())
        << "  since " << cli::FormatUtc(pin.pinned_unix_ms()) << "\n";
    if (pin.refusals() > 0) {
      out << "  REFUSED " << crypto::ToHex(pin.refused_public_key()) << "  last at "
          << cli::FormatUtc(pin.refused_unix_ms()) << "  (" << pin.refusals()
          << " refusals)\n";
    }
  }
  context.terminal().err << pins->pins_size() << " pins\n";
  return absl::OkStatus();
}

absl::Status Repin(OperatorContext& context, const std::string& domain) {
  absl::StatusOr<v1::Relay::StubInterface*> relay = context.Relay();
  if (!relay.ok()) return relay.status();
  absl::StatusOr<std::string> key = KeyToPin(context, **relay, domain);
  if (!key.ok()) return key.status();
  v1::RepinRequest request;
  request.set_domain(domain);
  request.set_server_public_key(*key);
  v1::RepinResponse response;
  const grpc::Status status =
      (*relay)->Repin(context.NewCall().get(), request, &response);
  if (!status.ok()) return RpcFailure("Repin", status);
  if (key->empty()) {
    context.terminal().out << "forgot the pin of " << domain
                           << "; the next contact pins anew\n";
  } else {
    context.terminal().out << "pinned " << domain << " to " << crypto::ToHex(*key)
                           << "\n";
  }
  return absl::OkStatus();
}

}  // namespace cmtp::ctl
