#include "tools/cmtp/client_state.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "lib/client/local_files.h"

namespace cmtp::cli {
namespace {

constexpr char kServerFile[] = "/server";
constexpr char kAccountFile[] = "/account";
constexpr char kXzibitFile[] = "/xzibit";

absl::StatusOr<std::optional<std::string>> ReadTextLine(const std::string& path) {
  absl::StatusOr<std::optional<std::string>> content = client::ReadFileIfExists(path);
  if (!content.ok() || !content->has_value()) return content;
  std::string line(absl::StripAsciiWhitespace(**content));
  if (line.empty()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(line));
}

}  // namespace

std::string ClientState::DefaultDir() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return ".cmtp";
  return std::string(home) + "/.cmtp";
}

absl::StatusOr<ClientState> ClientState::Load(std::string dir) {
  ClientState state(std::move(dir));
  absl::StatusOr<std::optional<std::string>> server =
      ReadTextLine(state.dir_ + kServerFile);
  if (!server.ok()) return server.status();
  absl::StatusOr<std::optional<std::string>> account =
      ReadTextLine(state.dir_ + kAccountFile);
  if (!account.ok()) return account.status();
  absl::StatusOr<std::optional<std::string>> xzibit =
      client::ReadFileIfExists(state.dir_ + kXzibitFile);
  if (!xzibit.ok()) return xzibit.status();
  state.server_ = std::move(*server);
  state.account_ = std::move(*account);
  state.xzibit_ = std::move(*xzibit);
  return state;
}

std::optional<std::string> ClientState::XzibitFor(std::string_view account) const {
  if (!account_.has_value() || *account_ != account || !xzibit_.has_value() ||
      xzibit_->empty()) {
    return std::nullopt;
  }
  return xzibit_;
}

absl::Status ClientState::SaveAccount(const std::string& server,
                                      const std::string& account,
                                      const std::string& xzibit) {
  if (absl::Status made = client::EnsureDirectory(dir_); !made.ok()) return made;
  // The xzibit goes first: a crash in between leaves an xzibit that the
  // account file does not claim, which XzibitFor ignores.
  if (absl::Status s = client::WriteFileAtomically(dir_ + kXzibitFile, xzibit); !s.ok()) {
    return s;
  }
  if (absl::Status s = client::WriteFileAtomically(dir_ + kServerFile, server + "\n");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = client::WriteFileAtomically(dir_ + kAccountFile, account + "\n");
      !s.ok()) {
    return s;
  }
  server_ = server;
  account_ = account;
  xzibit_ = xzibit;
  return absl::OkStatus();
}

}  // namespace cmtp::cli
