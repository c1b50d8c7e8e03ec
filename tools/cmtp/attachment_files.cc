#include "tools/cmtp/attachment_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"
#include "lib/client/local_files.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"

namespace cmtp::cli {
namespace {

constexpr size_t kMaxFileNameBytes = 255;  // NAME_MAX on Linux

absl::Status WriteNewFile(const std::string& path, std::string_view data) {
  const int fd =
      open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return error::InvalidInput(
        absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  while (!data.empty()) {
    const ssize_t written = write(fd, data.data(), data.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) {
      const int err = errno;
      close(fd);
      return error::InvalidInput(
          absl::StrCat("cannot write ", path, ": ", std::strerror(err)));
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  close(fd);
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateAttachmentName(std::string_view name) {
  if (name.empty() || name.size() > kMaxFileNameBytes) {
    return error::InvalidInput("an attachment name must have 1-255 bytes");
  }
  if (name.front() == '.') {
    return error::InvalidInput("an attachment name must not start with '.'");
  }
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '/' || c == '\\' || byte < 0x20 || byte == 0x7f) {
      return error::InvalidInput(
          "an attachment name must not contain '/', '\\' or control characters");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SavedAttachment>> SaveAttachments(
    const std::string& dir, const std::vector<crypto::Attachment>& attachments) {
  std::vector<SavedAttachment> saved;
  if (attachments.empty()) return saved;
  if (absl::Status made = client::EnsureDirectory(dir); !made.ok()) return made;
  std::set<std::string> used;
  for (size_t i = 0; i < attachments.size(); ++i) {
    const crypto::Attachment& attachment = attachments[i];
    std::string name = attachment.filename;
    const bool safe = ValidateAttachmentName(name).ok() && used.count(name) == 0;
    if (!safe) name = absl::StrCat("attachment-", i + 1);
    // A safe name of a later attachment may equal a generated one.
    while (used.count(name) != 0) name += "_";
    used.insert(name);
    const std::string path = absl::StrCat(dir, "/", name);
    if (absl::Status written = WriteNewFile(path, attachment.data); !written.ok()) {
      return written;
    }
    saved.push_back({attachment.filename, path, attachment.data.size(), !safe});
  }
  return saved;
}

absl::StatusOr<crypto::Attachment> LoadAttachment(const std::string& path) {
  absl::StatusOr<std::string> data = client::ReadWholeFile(path);
  if (!data.ok()) return data.status();
  const size_t slash = path.find_last_of('/');
  crypto::Attachment attachment;
  attachment.filename = slash == std::string::npos ? path : path.substr(slash + 1);
  if (absl::Status valid = ValidateAttachmentName(attachment.filename); !valid.ok()) {
    return error::InvalidInput(
        absl::StrCat("cannot attach ", path, ": ", valid.message()));
  }
  attachment.data = std::move(*data);
  return attachment;
}

}  // namespace cmtp::cli
