// A user at the keyboard: runs the real `cmtp` binary with their own state
// folder and password file (test-cheap key derivation), and reads its output.
#ifndef CMTP_TESTS_FEDERATION_CLI_USER_H_
#define CMTP_TESTS_FEDERATION_CLI_USER_H_

#include <string>
#include <vector>

#include "tests/support/process.h"

namespace cmtp::federation {

// One line of `cmtp inbox`.
struct InboxEntry {
  std::string message_id;
  std::string sender;  // account@domain from the envelope
};

class CliUser {
 public:
  // `address` is account@domain; files go under `dir`.
  CliUser(std::string address, std::string dir);

  const std::string& address() const { return address_; }
  std::string password() const;

  // cmtp ARGS --state-dir ... --password-file ... (stdin fed from `input`).
  cmtp::testing::CommandResult Cmtp(std::vector<std::string> args,
                                    const std::string& input = "") const;

  // Registers on the server at `server` (HOST:PORT), which is then saved.
  cmtp::testing::CommandResult Register(const std::string& server) const;
  // Sends `text` to `to`; the message id on success, "" otherwise (the
  // command's output in `result` when given).
  std::string Send(const std::string& to, const std::string& subject,
                   const std::string& text, const std::vector<std::string>& attachments,
                   cmtp::testing::CommandResult* result = nullptr) const;
  // What `cmtp inbox` lists (empty when it fails).
  std::vector<InboxEntry> Inbox() const;
  // How many times `message_id` is in the inbox.
  int CountInInbox(const std::string& message_id) const;
  // Polls the inbox until `message_id` is there, up to `timeout`.
  bool WaitForMessage(const std::string& message_id,
                      std::chrono::milliseconds timeout) const;
  // The first message in the inbox from `sender`, polled up to `timeout`;
  // "" if none came.
  std::string WaitForMessageFrom(const std::string& sender,
                                 std::chrono::milliseconds timeout) const;

  // A file under the user's folder with `content`; returns its path.
  std::string WriteFile(const std::string& name, const std::string& content) const;

 private:
  std::string address_;
  std::string dir_;
  std::string state_dir_;
  std::string password_file_;
};

}  // namespace cmtp::federation

#endif  // CMTP_TESTS_FEDERATION_CLI_USER_H_
