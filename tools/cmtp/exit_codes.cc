#include "tools/cmtp/exit_codes.h"

#include "lib/client/failures.h"

namespace cmtp::cli {

ExitCode ExitCodeFor(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  if (client::IsCryptoFailure(status)) return kExitCrypto;
  // The client library reports every malformed server answer as Unavailable,
  // so InvalidArgument only ever comes from what the user typed or gave us.
  if (status.code() == absl::StatusCode::kInvalidArgument) return kExitUsage;
  return kExitRefused;
}

}  // namespace cmtp::cli
