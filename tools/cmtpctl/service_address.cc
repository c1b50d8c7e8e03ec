#include "tools/cmtpctl/service_address.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/client/local_files.h"
#include "lib/common/errors.h"

namespace cmtp::ctl {

absl::StatusOr<std::string> ResolveServiceAddress(const std::string& explicit_address,
                                                  const std::string& state_dir,
                                                  const std::string& port_file,
                                                  const std::string& flag_name) {
  if (!explicit_address.empty()) return explicit_address;
  if (state_dir.empty()) {
    return error::InvalidInput(
        absl::StrCat("no ", flag_name, " address: pass --", flag_name,
                     " HOST:PORT or --state-dir DIR (CMTP_STATE_DIR)"));
  }
  const std::string path = absl::StrCat(state_dir, "/", port_file);
  absl::StatusOr<std::string> content = client::ReadWholeFile(path);
  if (!content.ok()) {
    return error::InvalidInput(absl::StrCat(
        "no ", flag_name, " address: ", content.status().message(), " (is it running?)"));
  }
  int port = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*content), &port) || port <= 0 ||
      port > 65535) {
    return error::InvalidInput(absl::StrCat(path, " does not hold a port number"));
  }
  return absl::StrCat("127.0.0.1:", port);
}

}  // namespace cmtp::ctl
