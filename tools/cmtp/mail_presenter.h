// What `cmtp read` and `cmtp decrypt` print for an opened message: headers,
// the signature verdict, the text, and the attachments saved to a folder.
#ifndef CMTP_TOOLS_CMTP_MAIL_PRESENTER_H_
#define CMTP_TOOLS_CMTP_MAIL_PRESENTER_H_

#include <string>

#include "absl/status/status.h"
#include "lib/client/received_mail.h"
#include "tools/cmtp/terminal.h"

namespace cmtp::cli {

inline constexpr char kSignatureVerified[] = "Signature: verified";
inline constexpr char kSignatureNotVerified[] = "Signature: NOT VERIFIED";
inline constexpr char kSignatureNone[] =
    "Signature: none (unsigned raw text, e.g. from the reference client)";

// Prints the message and saves its attachments into `attachment_dir`.
// Returns CryptoFailure (exit 3) when the signature did not verify, after
// printing everything, so the user still sees what arrived and why it is
// suspect.
absl::Status PresentMail(const client::OpenedMail& mail,
                         const client::SignatureCheck& check,
                         const std::string& attachment_dir, Terminal& terminal);

}  // namespace cmtp::cli

#endif  // CMTP_TOOLS_CMTP_MAIL_PRESENTER_H_
