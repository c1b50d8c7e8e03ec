// One subcommand's command line: single-valued flags on a cmtp::Config (flag,
// then environment, then default, as everywhere in the suite) plus the flags
// that may repeat (--cc, --attach), which Config keeps only once.
#ifndef CMTP_TOOLS_CMTP_COMMAND_LINE_H_
#define CMTP_TOOLS_CMTP_COMMAND_LINE_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/common/config.h"

namespace cmtp::cli {

// Removes every `--name VALUE` and `--name=VALUE` before a lone `--` from
// `args` and returns the values in order. InvalidArgument when the last
// argument is `--name` without a value.
absl::StatusOr<std::vector<std::string>> TakeRepeatedFlag(std::vector<std::string>& args,
                                                          std::string_view name);

class CommandLine {
 public:
  CommandLine(std::string program, std::string summary)
      : config_(std::move(program), std::move(summary)) {}

  Config& config() { return config_; }
  const Config& config() const { return config_; }

  // Declares a flag that may be given several times.
  void AddRepeated(std::string name, std::string help);

  // Parses `args` (without the program and subcommand names).
  absl::Status Parse(std::vector<std::string> args);

  std::string Get(const std::string& name) const { return config_.Get(name); }
  // InvalidArgument when the value is not true/false.
  absl::StatusOr<bool> GetBool(const std::string& name) const;
  const std::vector<std::string>& Repeated(const std::string& name) const;
  const std::vector<std::string>& positional() const { return config_.positional(); }
  bool help_requested() const { return config_.help_requested(); }
  std::string HelpText() const;

 private:
  Config config_;
  std::map<std::string, std::string> repeated_help_;
  std::map<std::string, std::vector<std::string>> repeated_;
};

}  // namespace cmtp::cli

#endif  // CMTP_TOOLS_CMTP_COMMAND_LINE_H_
