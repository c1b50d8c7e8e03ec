// Command-line flags with CMTP_* environment fallbacks, an optional
// configuration file and --help. Every binary of the suite declares its
// options here, so the precedence is the same everywhere: flag, then
// environment, then the file named by --config / CMTP_CONFIG, then default.
//
// The file holds `name = value` lines, `name` being a flag's name without the
// dashes; blank lines and lines starting with # are skipped, and the value is
// everything after the first '=' with surrounding blanks (and one pair of
// double quotes around it) removed. An unknown name, a line without '=' or a
// name given twice is an error naming the file and the line.
#ifndef CMTP_LIB_COMMON_CONFIG_H_
#define CMTP_LIB_COMMON_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace cmtp {

class Config {
 public:
  // `program` and `summary` head the --help text.
  Config(std::string program, std::string summary);

  // Declares an option `--name=VALUE` (or `--name VALUE`) with environment
  // fallback `env` (may be empty) and a default.
  void Add(const std::string& name, const std::string& env,
           const std::string& default_value, const std::string& help);

  // Parses argv, then reads the configuration file if one is named. Returns
  // OkStatus, or InvalidArgument for unknown flags, a missing value or a bad
  // file. Sets help_requested() for --help / -h. Arguments that are not flags
  // are kept in positional().
  absl::Status Parse(int argc, char** argv);
  // Reads `name = value` lines (see above) from `path` / from `text`, which
  // `source` names in errors. Values from a later load replace earlier ones.
  absl::Status LoadFile(const std::string& path);
  absl::Status LoadText(const std::string& text, const std::string& source);
  bool help_requested() const { return help_requested_; }
  std::string HelpText() const;

  std::string Get(const std::string& name) const;
  // Typed getters: InvalidArgument-worthy values crash with a clear message
  // via ParseOrExit, so call Validate() first in a main.
  int64_t GetInt(const std::string& name) const;
  bool GetBool(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

  // Checks that every integer / boolean option parses. Returns the first problem.
  absl::Status ValidateInt(const std::string& name) const;
  absl::Status ValidateBool(const std::string& name) const;

  // Convenience for mains: parse, print help and exit 0 on --help, print the
  // error and exit 2 on a bad flag.
  void ParseOrExit(int argc, char** argv);

 private:
  struct Option {
    std::string env;
    std::string default_value;
    std::string help;
    std::string value;
    bool set = false;
    std::string file_value;
    bool file_set = false;
  };
  std::string program_;
  std::string summary_;
  std::vector<std::string> order_;
  std::map<std::string, Option> options_;
  std::vector<std::string> positional_;
  bool help_requested_ = false;
};

}  // namespace cmtp

#endif  // CMTP_LIB_COMMON_CONFIG_H_
