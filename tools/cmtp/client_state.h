// The user's state folder (--state-dir, CMTP_CLIENT_DIR, default ~/.cmtp):
// the server and account of the last register or login, that account's
// sealed xzibit (never an unsealed key), and the pinned keys of
// correspondents (`pins`). Folder 0700, files 0600.
#ifndef CMTP_TOOLS_CMTP_CLIENT_STATE_H_
#define CMTP_TOOLS_CMTP_CLIENT_STATE_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cmtp::cli {

class ClientState {
 public:
  // A missing folder is an empty state; it is created on the first save.
  static absl::StatusOr<ClientState> Load(std::string dir);

  const std::string& dir() const { return dir_; }
  std::string PinsPath() const { return dir_ + "/pins"; }

  const std::optional<std::string>& server() const { return server_; }
  const std::optional<std::string>& account() const { return account_; }
  // The stored xzibit when it belongs to `account`.
  std::optional<std::string> XzibitFor(std::string_view account) const;

  // Records a successful register or login.
  absl::Status SaveAccount(const std::string& server, const std::string& account,
                           const std::string& xzibit);

  // The default folder: $HOME/.cmtp (./.cmtp without HOME).
  static std::string DefaultDir();

 private:
  explicit ClientState(std::string dir) : dir_(std::move(dir)) {}

  std::string dir_;
  std::optional<std::string> server_;
  std::optional<std::string> account_;
  std::optional<std::string> xzibit_;
};

}  // namespace cmtp::cli

#endif  // CMTP_TOOLS_CMTP_CLIENT_STATE_H_
