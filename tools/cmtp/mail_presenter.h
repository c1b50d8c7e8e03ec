// What `cmtp read` and `cmtp decrypt` print for an opened message: headers,
// the signature verdict, the text, and the attachments saved to a folder.
#ifndef CMTP_TOOLS_CMTP_MAIL_PRESENTER_H_
#define CMTP_TOOLS_CMTP_MAIL_PRESENTER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lib/client/message_path.h"
#include "lib/client/received_mail.h"
#include "tools/cmtp/terminal.h"

namespace cmtp::cli {

inline constexpr char kSignatureVerified[] = "Signature: verified";
inline constexpr char kSignatureNotVerified[] = "Signature: NOT VERIFIED";
inline constexpr char kSignatureNone[] =
    "Signature: none (unsigned raw text, e.g. from the reference client)";

inline constexpr char kPathHeading[] = "Path:";

// Prints the message and saves its attachments into `attachment_dir`.
// `path` is the checked log (printed after the signature when not empty).
// Returns CryptoFailure (exit 3) when the signature did not verify, after
// printing everything, so the user still sees what arrived and why it is
// suspect. A path entry that does not verify is printed and warned about but
// does not change the outcome: the sender's signature is what vouches for
// the content.
absl::Status PresentMail(const client::OpenedMail& mail,
                         const client::SignatureCheck& check,
                         const std::string& attachment_dir, Terminal& terminal,
                         const std::vector<client::Hop>& path = {});

}  // namespace cmtp::cli

#endif  // CMTP_TOOLS_CMTP_MAIL_PRESENTER_H_
