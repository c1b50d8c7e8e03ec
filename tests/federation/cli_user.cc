#include "tests/federation/cli_user.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace cmtp::federation {

CliUser::CliUser(std::string address, std::string dir)
    : address_(std::move(address)),
      dir_(std::move(dir)),
      state_dir_(dir_ + "/state"),
      password_file_(dir_ + "/password") {
  mkdir(dir_.c_str(), 0700);
  WriteFile("password", password() + "\n");
}

std::string CliUser::password() const {
  return absl::StrCat("the password of ", address_);
}

cmtp::testing::CommandResult CliUser::Cmtp(std::vector<std::string> args,
                                           const std::string& input) const {
  std::vector<std::string> argv = {absl::StrCat(CMTP_BINARY_DIR, "/tools/cmtp/cmtp")};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--state-dir", state_dir_, "--password-file", password_file_,
                           "--timeout-seconds", "15"});
  return cmtp::testing::RunCommand(argv, input, {{"CMTP_KDF_COST", "interactive"}},
                                   std::chrono::seconds(60));
}

cmtp::testing::CommandResult CliUser::Register(const std::string& server) const {
  return Cmtp({"register", "--server", server, "--account", address_});
}

std::string CliUser::Send(const std::string& to, const std::string& subject,
                          const std::string& text,
                          const std::vector<std::string>& attachments,
                          cmtp::testing::CommandResult* result) const {
  std::vector<std::string> args = {"send", "--to", to, "--subject", subject};
  for (const std::string& path : attachments) args.insert(args.end(), {"--attach", path});
  cmtp::testing::CommandResult sent = Cmtp(args, text);
  if (result != nullptr) *result = sent;
  if (sent.exit_code != 0) return "";
  return std::string(absl::StripAsciiWhitespace(sent.out));
}

std::vector<InboxEntry> CliUser::Inbox() const {
  cmtp::testing::CommandResult listed = Cmtp({"inbox"});
  std::vector<InboxEntry> entries;
  if (listed.exit_code != 0) return entries;
  // ID  DATE  SIZE  SENDER
  for (absl::string_view line : absl::StrSplit(listed.out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> fields = absl::StrSplit(line, "  ", absl::SkipEmpty());
    if (fields.size() != 4) continue;
    entries.push_back({fields[0], fields[3]});
  }
  return entries;
}

int CliUser::CountInInbox(const std::string& message_id) const {
  int count = 0;
  for (const InboxEntry& entry : Inbox()) count += entry.message_id == message_id;
  return count;
}

bool CliUser::WaitForMessage(const std::string& message_id,
                             std::chrono::milliseconds timeout) const {
  return cmtp::testing::WaitFor([&] { return CountInInbox(message_id) > 0; }, timeout);
}

std::string CliUser::WaitForMessageFrom(const std::string& sender,
                                        std::chrono::milliseconds timeout) const {
  std::string found;
  cmtp::testing::WaitFor(
      [&] {
        for (const InboxEntry& entry : Inbox()) {
          if (entry.sender == sender) {
            found = entry.message_id;
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

std::string CliUser::WriteFile(const std::string& name,
                               const std::string& content) const {
  const std::string path = absl::StrCat(dir_, "/", name);
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

}  // namespace cmtp::federation
