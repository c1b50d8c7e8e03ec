#include "tests/federation/mail_checks.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace cmtp::federation {

void ExpectSameKeyThroughBothServers(const CliUser& asker, const CliUser& owner,
                                     const std::string& address) {
  cmtp::testing::CommandResult foreign = asker.Cmtp({"key", address});
  ASSERT_EQ(foreign.exit_code, 0) << foreign.err;
  cmtp::testing::CommandResult own = owner.Cmtp({"key", address});
  ASSERT_EQ(own.exit_code, 0) << own.err;
  const std::vector<std::string> foreign_lines = absl::StrSplit(foreign.out, '\n');
  const std::vector<std::string> own_lines = absl::StrSplit(own.out, '\n');
  ASSERT_GE(foreign_lines.size(), 2u) << foreign.out;
  ASSERT_GE(own_lines.size(), 1u) << own.out;
  EXPECT_EQ(foreign_lines[0].size(), 64u) << foreign.out;
  EXPECT_EQ(foreign_lines[0], own_lines[0])
      << asker.address() << " got another key for " << address;
  EXPECT_EQ(foreign_lines[1], "pin: new (pinned now)");
}

std::vector<std::string> PathVerdicts(const std::string& read_output) {
  std::vector<std::string> verdicts;
  bool in_path = false;
  for (absl::string_view line : absl::StrSplit(read_output, '\n')) {
    if (line == "Path:") {
      in_path = true;
      continue;
    }
    if (!in_path) continue;
    if (!absl::StartsWith(line, "  ")) break;
    line.remove_prefix(2);
    // "accepted by DOMAIN at TIME: VERDICT"
    constexpr absl::string_view kAccepted = "accepted by ";
    const size_t at = line.find(" at ");
    const size_t colon = line.find(": ", at == absl::string_view::npos ? 0 : at);
    if (absl::StartsWith(line, kAccepted) && at != absl::string_view::npos &&
        colon != absl::string_view::npos) {
      verdicts.push_back(
          std::string(line.substr(kAccepted.size(), at - kAccepted.size())) +
          std::string(line.substr(colon)));
    } else {
      verdicts.push_back(std::string(line));
    }
  }
  return verdicts;
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

}  // namespace cmtp::federation
