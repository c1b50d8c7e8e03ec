// Applying the pins to keys the server hands out: the first key seen for an
// address is pinned; a different one later is refused with a warning unless
// the user passed --accept-new-key.
#ifndef CMTP_TOOLS_CMTP_KEY_TRUST_H_
#define CMTP_TOOLS_CMTP_KEY_TRUST_H_

#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/client/mail_address.h"
#include "lib/client/session.h"
#include "tools/cmtp/pins.h"

namespace cmtp::cli {

// Pins a new key (saving the store), accepts a matching one, and refuses a
// changed one with CryptoFailure unless `accept_new_key`.
absl::StatusOr<PinStatus> TrustKey(PinStore& pins, std::string_view address,
                                   std::string_view public_key, bool accept_new_key,
                                   std::ostream& err);

// KEYREQUEST (signature checked by the session), then TrustKey.
absl::StatusOr<std::string> FetchTrustedKey(client::Session& session, PinStore& pins,
                                            const client::MailAddress& address,
                                            bool accept_new_key, std::ostream& err);

}  // namespace cmtp::cli

#endif  // CMTP_TOOLS_CMTP_KEY_TRUST_H_
