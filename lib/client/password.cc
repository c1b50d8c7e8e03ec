#include "lib/client/password.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"

namespace cmtp::client {
namespace {

// Longest password line read; a longer "password file" is surely the wrong file.
constexpr size_t kMaxPasswordFileBytes = 64 * 1024;

std::string_view FirstLine(std::string_view text) {
  const size_t newline = text.find('\n');
  std::string_view line = text.substr(0, newline);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Restores the terminal's echo on every path out of the prompt.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (tcgetattr(fd_, &saved_) == 0) {
      termios quiet = saved_;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      quiet.c_lflag |= ECHONL;
      active_ = tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
    }
  }
  ~EchoOff() {
    if (active_) tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

absl::StatusOr<crypto::SecretBytes> AskOnce(int tty, std::string_view prompt) {
  const std::string shown = absl::StrCat(ToAbsl(prompt), ": ");
  if (write(tty, shown.data(), shown.size()) < 0) {
    return error::InvalidInput("cannot write the password prompt to the terminal");
  }
  EchoOff echo_off(tty);
  std::string line;
  char c = 0;
  for (;;) {
    const ssize_t got = read(tty, &c, 1);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0 || c == '\n') break;
    if (line.size() >= kMaxPasswordFileBytes) break;
    line.push_back(c);
  }
  crypto::SecretBytes password(std::string(FirstLine(line)));
  // Overwrite the working copy; SecretBytes wipes its own.
  std::fill(line.begin(), line.end(), '\0');
  if (password.empty()) return error::InvalidInput("empty password");
  return password;
}

}  // namespace

absl::StatusOr<crypto::SecretBytes> ReadPasswordFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return error::InvalidInput(
        absl::StrCat("cannot read password file ", path, ": ", std::strerror(errno)));
  }
  std::string content;
  char buffer[4096];
  for (;;) {
    const ssize_t got = read(fd, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int err = errno;
      close(fd);
      return error::InvalidInput(
          absl::StrCat("cannot read password file ", path, ": ", std::strerror(err)));
    }
    if (got == 0) break;
    content.append(buffer, static_cast<size_t>(got));
    // Only the first line matters; stop early on a huge file.
    if (content.find('\n') != std::string::npos ||
        content.size() > kMaxPasswordFileBytes) {
      break;
    }
  }
  close(fd);
  crypto::SecretBytes password(std::string(FirstLine(content)));
  std::fill(content.begin(), content.end(), '\0');
  if (password.empty()) {
    return error::InvalidInput(
        absl::StrCat("password file ", path, " starts with an empty line"));
  }
  return password;
}

absl::StatusOr<crypto::SecretBytes> PromptPassword(std::string_view prompt,
                                                   bool confirm) {
  const int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (tty < 0) {
    return error::InvalidInput(
        "no password: pass --password-file FILE or run on a terminal");
  }
  absl::StatusOr<crypto::SecretBytes> first = AskOnce(tty, prompt);
  if (first.ok() && confirm) {
    absl::StatusOr<crypto::SecretBytes> second = AskOnce(tty, "Repeat the password");
    if (!second.ok()) {
      first = second.status();
    } else if (second->view() != first->view()) {
      first = error::InvalidInput("the two passwords differ");
    }
  }
  close(tty);
  return first;
}

absl::StatusOr<crypto::SecretBytes> ObtainPassword(const std::string& password_file,
                                                   std::string_view prompt,
                                                   bool confirm) {
  if (!password_file.empty()) return ReadPasswordFile(password_file);
  return PromptPassword(prompt, confirm);
}

}  // namespace cmtp::client
