// Saving received attachments: the sender chooses their names, so a name is
// used only when it is a plain file name (no folders, no "..", no hidden or
// control characters); otherwise the file is saved as attachment-N.
#ifndef CMTP_TOOLS_CMTP_ATTACHMENT_FILES_H_
#define CMTP_TOOLS_CMTP_ATTACHMENT_FILES_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/crypto/sealed.h"

namespace cmtp::cli {

// OkStatus when `name` may be created as is inside the output folder.
absl::Status ValidateAttachmentName(std::string_view name);

struct SavedAttachment {
  std::string sent_name;  // as the sender named it
  std::string path;       // where it was written
  size_t bytes = 0;
  bool renamed = false;  // the sent name was unsafe or a duplicate
};

// Creates `dir` when there is something to save, then writes each
// attachment, never through a symbolic link.
absl::StatusOr<std::vector<SavedAttachment>> SaveAttachments(
    const std::string& dir, const std::vector<crypto::Attachment>& attachments);

// Reads a file to attach; its name is the file's base name.
absl::StatusOr<crypto::Attachment> LoadAttachment(const std::string& path);

}  // namespace cmtp::cli

#endif  // CMTP_TOOLS_CMTP_ATTACHMENT_FILES_H_
