// Reading a reference server's data folder for `cmtpctl import-reference`:
// mail/<user>/public.key (32 bytes), optionally mail/<user>/<user>.xzibit
// (a 156-byte v1 xzibit), and every other regular file in mail/<user>/ is one
// stored message (the bytes after MAIL\0). Scanning is separate from the
// import so what will be imported can be checked without any service.
#ifndef CMTP_TOOLS_CMTPCTL_REFERENCE_IMPORT_H_
#define CMTP_TOOLS_CMTPCTL_REFERENCE_IMPORT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/wire/message.h"

namespace cmtp::ctl {

// Reference servers may store a 64-byte proof-of-work trailer after the
// last attachment; it is not part of the message.
inline constexpr size_t kProofOfWorkTrailerBytes = 64;

struct ReferenceMessage {
  std::string path;
  wire::MailMessage message;  // without any trailer
  std::string id;             // wire::MessageId
};

struct SkippedFile {
  std::string path;
  std::string reason;
};

struct ReferenceUser {
  std::string name;
  std::string public_key;                  // 32 bytes
  std::optional<std::string> xzibit;       // v1, 156 bytes
  std::vector<ReferenceMessage> messages;  // sorted by file name
};

struct ReferenceScan {
  std::vector<ReferenceUser> users;  // sorted by name
  std::vector<SkippedFile> skipped;  // users and files that cannot be imported
};

// NotFound / InvalidArgument when `dir` has no mail/ folder; problems with
// single users or files are reported in `skipped`, not as errors.
absl::StatusOr<ReferenceScan> ScanReferenceFolder(const std::string& dir);

}  // namespace cmtp::ctl

#endif  // CMTP_TOOLS_CMTPCTL_REFERENCE_IMPORT_H_
