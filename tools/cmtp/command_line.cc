#include "tools/cmtp/command_line.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"

namespace cmtp::cli {

absl::StatusOr<std::vector<std::string>> TakeRepeatedFlag(std::vector<std::string>& args,
                                                          std::string_view name) {
  const std::string bare = absl::StrCat("--", ToAbsl(name));
  const std::string with_value = bare + "=";
  std::vector<std::string> values;
  std::vector<std::string> kept;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") {
      kept.insert(kept.end(), args.begin() + static_cast<ptrdiff_t>(i), args.end());
      break;
    }
    if (args[i] == bare) {
      if (i + 1 >= args.size()) {
        return error::InvalidInput(absl::StrCat("flag ", bare, " needs a value"));
      }
      values.push_back(args[++i]);
    } else if (absl::StartsWith(args[i], with_value)) {
      values.push_back(args[i].substr(with_value.size()));
    } else {
      kept.push_back(args[i]);
    }
  }
  args = std::move(kept);
  return values;
}

void CommandLine::AddRepeated(std::string name, std::string help) {
  repeated_.emplace(name, std::vector<std::string>());
  repeated_help_.emplace(std::move(name), std::move(help));
}

absl::Status CommandLine::Parse(std::vector<std::string> args) {
  for (auto& [name, values] : repeated_) {
    absl::StatusOr<std::vector<std::string>> taken = TakeRepeatedFlag(args, name);
    if (!taken.ok()) return taken.status();
    values = std::move(*taken);
  }
  std::string program = "cmtp";
  std::vector<char*> argv;
  argv.push_back(program.data());
  for (std::string& arg : args) argv.push_back(arg.data());
  return config_.Parse(static_cast<int>(argv.size()), argv.data());
}

absl::StatusOr<bool> CommandLine::GetBool(const std::string& name) const {
  if (absl::Status valid = config_.ValidateBool(name); !valid.ok()) return valid;
  return config_.GetBool(name);
}

const std::vector<std::string>& CommandLine::Repeated(const std::string& name) const {
  static const std::vector<std::string> kNone;
  auto it = repeated_.find(name);
  return it == repeated_.end() ? kNone : it->second;
}

std::string CommandLine::HelpText() const {
  std::string text = config_.HelpText();
  for (const auto& [name, help] : repeated_help_) {
    absl::StrAppend(&text, "  --", name, "  ", help, " (may be repeated)\n");
  }
  return text;
}

}  // namespace cmtp::cli
