#include "lib/client/local_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/crypto/sodium.h"

namespace cmtp::client {
namespace {

absl::Status FileError(std::string_view action, const std::string& path, int err) {
  return error::InvalidInput(
      absl::StrCat("cannot ", std::string(action), " ", path, ": ", std::strerror(err)));
}

absl::Status WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return error::Internal(std::strerror(errno));
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::optional<std::string>> ReadFileIfExists(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return FileError("read", path, errno);
  }
  std::string content;
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t got = read(fd, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int err = errno;
      close(fd);
      return FileError("read", path, err);
    }
    if (got == 0) break;
    content.append(buffer, static_cast<size_t>(got));
  }
  close(fd);
  return std::optional<std::string>(std::move(content));
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  absl::StatusOr<std::optional<std::string>> content = ReadFileIfExists(path);
  if (!content.ok()) return content.status();
  if (!content->has_value()) return FileError("read", path, ENOENT);
  return std::move(**content);
}

absl::Status WriteFileAtomically(const std::string& path, std::string_view bytes,
                                 mode_t mode) {
  // A random suffix keeps two concurrent writers from sharing a temp file.
  const std::string temporary =
      absl::StrCat(path, ".tmp-", crypto::ToHex(crypto::RandomBytes(6)));
  const int fd =
      open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return FileError("create", temporary, errno);
  absl::Status written = WriteAll(fd, bytes);
  if (written.ok() && fsync(fd) != 0) written = error::Internal(std::strerror(errno));
  close(fd);
  if (written.ok() && rename(temporary.c_str(), path.c_str()) != 0) {
    written = FileError("replace", path, errno);
  }
  if (!written.ok()) {
    unlink(temporary.c_str());
    return error::InvalidInput(
        absl::StrCat("cannot write ", path, ": ", written.message()));
  }
  return absl::OkStatus();
}

absl::Status EnsureDirectory(const std::string& path, mode_t mode) {
  if (path.empty()) return error::InvalidInput("empty folder name");
  struct stat info {};
  if (stat(path.c_str(), &info) == 0) {
    if (!S_ISDIR(info.st_mode)) {
      return error::InvalidInput(absl::StrCat(path, " exists and is not a folder"));
    }
    return absl::OkStatus();
  }
  const size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    if (absl::Status parent = EnsureDirectory(path.substr(0, slash), mode);
        !parent.ok()) {
      return parent;
    }
  }
  if (mkdir(path.c_str(), mode) != 0 && errno != EEXIST) {
    return FileError("create folder", path, errno);
  }
  return absl::OkStatus();
}

}  // namespace cmtp::client
