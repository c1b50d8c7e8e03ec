#include "tools/cmtp/key_trust.h"

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/crypto/sodium.h"

namespace cmtp::cli {

absl::StatusOr<PinStatus> TrustKey(PinStore& pins, std::string_view address,
                                   std::string_view public_key, bool accept_new_key,
                                   std::ostream& err) {
  const PinStatus status = pins.Compare(address, public_key);
  switch (status) {
    case PinStatus::kMatches:
      return status;
    case PinStatus::kNew:
      pins.Pin(address, public_key);
      if (absl::Status saved = pins.Save(); !saved.ok()) return saved;
      err << "pinned the key of " << address
          << " on first use: " << crypto::ToHex(public_key) << "\n";
      return status;
    case PinStatus::kChanged:
      break;
  }
  const std::string previous = crypto::ToHex(pins.Find(address).value_or(""));
  err << "WARNING: the key of " << address << " has CHANGED.\n"
      << "  pinned:  " << previous << "\n"
      << "  offered: " << crypto::ToHex(public_key) << "\n"
      << "Someone may be intercepting your mail, or " << address << " made a new key.\n";
  if (!accept_new_key) {
    err << "Confirm the new key with " << address
        << " by other means, then repeat with --accept-new-key.\n";
    return error::CryptoFailure(
        absl::StrCat("the key of ", ToAbsl(address), " differs from its pin"));
  }
  pins.Pin(address, public_key);
  if (absl::Status saved = pins.Save(); !saved.ok()) return saved;
  err << "--accept-new-key: pinned the new key of " << address << "\n";
  return status;
}

absl::StatusOr<std::string> FetchTrustedKey(client::Session& session, PinStore& pins,
                                            const client::MailAddress& address,
                                            bool accept_new_key, std::ostream& err) {
  absl::StatusOr<std::string> key = session.KeyRequest(address.account, address.domain);
  if (!key.ok()) return key.status();
  absl::StatusOr<PinStatus> trusted =
      TrustKey(pins, address.ToString(), *key, accept_new_key, err);
  if (!trusted.ok()) return trusted.status();
  return key;
}

}  // namespace cmtp::cli
