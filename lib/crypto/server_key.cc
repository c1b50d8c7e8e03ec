#include "lib/crypto/server_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"

namespace cmtp::crypto {
namespace {

std::string ErrnoText(int errno_value) { return std::strerror(errno_value); }

// Closes a file descriptor when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  // Closes now and reports whether close succeeded (it can report a failed
  // write-back).
  bool Close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

absl::Status WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return error::Internal(absl::StrCat("writing server key: ", ErrnoText(errno)));
    }
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return absl::OkStatus();
}

// Reads the whole key file, refusing anything that is not exactly 64 bytes
// before reading it (a wrong path could name a huge file).
absl::StatusOr<SecretBytes> ReadKeyFile(const std::string& path) {
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.get() < 0) {
    const int saved = errno;
    const std::string reason =
        absl::StrCat("cannot open server key file ", path, ": ", ErrnoText(saved));
    if (saved == ENOENT) return error::NotFound(reason);
    return error::Unavailable(reason);
  }
  struct stat info {};
  if (::fstat(file.get(), &info) != 0) {
    return error::Unavailable(
        absl::StrCat("cannot stat server key file ", path, ": ", ErrnoText(errno)));
  }
  if (!S_ISREG(info.st_mode)) {
    return error::InvalidInput(
        absl::StrCat("server key file ", path, " is not a regular file"));
  }
  if (info.st_size != static_cast<off_t>(kSecretKeySize)) {
    return error::InvalidInput(absl::StrCat("server key file ", path, " holds ",
                                            info.st_size, " bytes, expected ",
                                            kSecretKeySize));
  }
  std::string buffer(kSecretKeySize, '\0');
  size_t filled = 0;
  while (filled < buffer.size()) {
    const ssize_t got =
        ::read(file.get(), buffer.data() + filled, buffer.size() - filled);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      SecretBytes wipe(std::move(buffer));
      return error::Unavailable(absl::StrCat("cannot read server key file ", path, ": ",
                                             got < 0 ? ErrnoText(errno) : "short read"));
    }
    filled += static_cast<size_t>(got);
  }
  return SecretBytes(std::move(buffer));
}

// Writes a fresh key to a temporary file beside `path` and links it into
// place. link(2) never replaces an existing file, so of two racing creators
// exactly one wins and the other then loads the winner's key.
absl::Status CreateKeyFile(const std::string& path) {
  const std::filesystem::path target(path);
  const std::filesystem::path folder = target.parent_path();
  if (!folder.empty()) {
    std::error_code ignored_if_exists;
    std::filesystem::create_directories(folder, ignored_if_exists);
  }
  std::string temp_path = path + ".tmp.XXXXXX";
  // mkstemp creates the file with mode 0600.
  FileDescriptor temp(::mkostemp(temp_path.data(), O_CLOEXEC));
  if (temp.get() < 0) {
    return error::Unavailable(absl::StrCat("cannot create a temporary key file beside ",
                                           path, ": ", ErrnoText(errno)));
  }
  const KeyPair fresh = GenerateKeyPair();
  absl::Status status = WriteAll(temp.get(), fresh.secret_key.view());
  if (status.ok() && ::fchmod(temp.get(), S_IRUSR | S_IWUSR) != 0) {
    status = error::Internal(absl::StrCat("chmod of server key: ", ErrnoText(errno)));
  }
  if (status.ok() && ::fsync(temp.get()) != 0) {
    status = error::Internal(absl::StrCat("fsync of server key: ", ErrnoText(errno)));
  }
  if (!temp.Close() && status.ok()) {
    status = error::Internal(absl::StrCat("closing server key: ", ErrnoText(errno)));
  }
  if (status.ok() && ::link(temp_path.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    status = error::Unavailable(
        absl::StrCat("cannot link server key into ", path, ": ", ErrnoText(errno)));
  }
  ::unlink(temp_path.c_str());
  return status;
}

}  // namespace

absl::StatusOr<KeyPair> LoadServerKey(const std::string& path) {
  absl::StatusOr<SecretBytes> secret = ReadKeyFile(path);
  if (!secret.ok()) return secret.status();
  absl::StatusOr<KeyPair> pair = KeyPairFromSecretKey(secret->view());
  if (!pair.ok()) {
    return error::InvalidInput(
        absl::StrCat("server key file ", path, " is corrupt: ", pair.status().message()));
  }
  return pair;
}

absl::StatusOr<KeyPair> LoadOrCreateServerKey(const std::string& path) {
  absl::StatusOr<KeyPair> existing = LoadServerKey(path);
  if (!absl::IsNotFound(existing.status())) return existing;
  if (absl::Status created = CreateKeyFile(path); !created.ok()) return created;
  // Load what is now in place, ours or a racing creator's.
  return LoadServerKey(path);
}

}  // namespace cmtp::crypto
