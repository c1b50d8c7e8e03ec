// A session logged in as the user: connects, opens the identity key (from
// the saved xzibit, or fetched with LOGIN on a new device and then saved),
// and authenticates with it. The unsealed key lives only in memory.
#ifndef CMTP_TOOLS_CMTP_ACCOUNT_SESSION_H_
#define CMTP_TOOLS_CMTP_ACCOUNT_SESSION_H_

#include "absl/status/statusor.h"
#include "lib/client/mail_address.h"
#include "lib/client/session.h"
#include "lib/crypto/sodium.h"
#include "tools/cmtp/common_options.h"
#include "tools/cmtp/terminal.h"

namespace cmtp::cli {

struct AccountSession {
  client::Session session;
  client::MailAddress address;
  crypto::KeyPair identity;
};

absl::StatusOr<AccountSession> OpenAccountSession(CommonOptions& options,
                                                  Terminal& terminal);

}  // namespace cmtp::cli

#endif  // CMTP_TOOLS_CMTP_ACCOUNT_SESSION_H_
