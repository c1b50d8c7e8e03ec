// The CLIs' exit codes (docs/services.md): scripts tell a refusal from a
// typo from an attack by the code alone.
#ifndef CMTP_TOOLS_CMTP_EXIT_CODES_H_
#define CMTP_TOOLS_CMTP_EXIT_CODES_H_

#include "absl/status/status.h"

namespace cmtp::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitRefused = 1,  // the server or the network refused; the reason is on stderr
  kExitUsage = 2,    // bad flags, arguments, files, or no password
  kExitCrypto = 3,   // a cryptographic check failed (signature, pin, password)
};

ExitCode ExitCodeFor(const absl::Status& status);

}  // namespace cmtp::cli

#endif  // CMTP_TOOLS_CMTP_EXIT_CODES_H_
