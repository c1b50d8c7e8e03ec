#include "lib/common/config.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lib/common/errors.h"

namespace cmtp {

Config::Config(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {
  Add("config", "CMTP_CONFIG", "",
      "file of `name = value` lines for any flag here (flags and environment win)");
}

void Config::Add(const std::string& name, const std::string& env,
                 const std::string& default_value, const std::string& help) {
  if (options_.count(name) == 0) order_.push_back(name);
  options_[name] = Option{env, default_value, help, "", false, "", false};
}

absl::Status Config::Parse(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help_requested_ = true;
      continue;
    }
    if (arg == "--") {
      for (++i; i < argc; ++i) positional_.push_back(argv[i]);
      break;
    }
    if (!absl::StartsWith(arg, "--")) {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    auto it = options_.find(name);
    if (it == options_.end()) {
      return error::InvalidInput(absl::StrCat("unknown flag --", name));
    }
    if (!has_value) {
      // A boolean flag may stand alone; anything else takes the next argument.
      bool is_bool =
          it->second.default_value == "true" || it->second.default_value == "false";
      if (is_bool &&
          (i + 1 >= argc || absl::StartsWith(argv[i + 1], "--") ||
           (std::string(argv[i + 1]) != "true" && std::string(argv[i + 1]) != "false"))) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return error::InvalidInput(absl::StrCat("flag --", name, " needs a value"));
      }
    }
    it->second.value = value;
    it->second.set = true;
  }
  std::string file = Get("config");
  if (!file.empty()) return LoadFile(file);
  return absl::OkStatus();
}

absl::Status Config::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return error::InvalidInput(absl::StrCat("cannot read config file ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return LoadText(text.str(), path);
}

absl::Status Config::LoadText(const std::string& text, const std::string& source) {
  // Checked completely before anything is applied: a bad file changes nothing.
  std::vector<std::pair<std::string, std::string>> entries;
  std::set<std::string> seen;
  std::istringstream lines(text);
  std::string raw;
  for (int number = 1; std::getline(lines, raw); ++number) {
    auto fail = [&](absl::string_view why) {
      return error::InvalidInput(absl::StrCat(source, ":", number, ": ", why));
    };
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    if (eq == absl::string_view::npos) return fail("expected `name = value`");
    std::string name(absl::StripAsciiWhitespace(line.substr(0, eq)));
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (name.empty()) return fail("expected `name = value`");
    if (name == "config") return fail("a config file cannot name another one");
    if (options_.count(name) == 0) {
      return fail(absl::StrCat("unknown option \"", name, "\""));
    }
    if (!seen.insert(name).second) {
      return fail(absl::StrCat("option \"", name, "\" given twice"));
    }
    entries.emplace_back(name, std::string(value));
  }
  for (auto& [name, value] : entries) {
    Option& o = options_.at(name);
    o.file_value = std::move(value);
    o.file_set = true;
  }
  return absl::OkStatus();
}

std::string Config::HelpText() const {
  std::string out =
      absl::StrCat("usage: ", program_, " [flags]\n", summary_, "\n\nflags:\n");
  for (const auto& name : order_) {
    const Option& o = options_.at(name);
    absl::StrAppend(&out, "  --", name, "  ", o.help);
    if (!o.env.empty()) absl::StrAppend(&out, " [env ", o.env, "]");
    absl::StrAppend(&out, " (default \"", o.default_value, "\")\n");
  }
  return out;
}

std::string Config::Get(const std::string& name) const {
  auto it = options_.find(name);
  if (it == options_.end()) {
    std::fprintf(stderr, "%s: internal error: undeclared option %s\n", program_.c_str(),
                 name.c_str());
    std::abort();
  }
  const Option& o = it->second;
  if (o.set) return o.value;
  if (!o.env.empty()) {
    if (const char* v = std::getenv(o.env.c_str()); v != nullptr && *v != '\0') {
      return v;
    }
  }
  if (o.file_set) return o.file_value;
  return o.default_value;
}

absl::Status Config::ValidateInt(const std::string& name) const {
  int64_t v;
  if (!absl::SimpleAtoi(Get(name), &v)) {
    return error::InvalidInput(
        absl::StrCat("--", name, " must be an integer, got \"", Get(name), "\""));
  }
  return absl::OkStatus();
}

absl::Status Config::ValidateBool(const std::string& name) const {
  bool v;
  if (!absl::SimpleAtob(Get(name), &v)) {
    return error::InvalidInput(
        absl::StrCat("--", name, " must be true or false, got \"", Get(name), "\""));
  }
  return absl::OkStatus();
}

int64_t Config::GetInt(const std::string& name) const {
  int64_t v = 0;
  if (!absl::SimpleAtoi(Get(name), &v)) {
    std::fprintf(stderr, "%s: --%s must be an integer, got \"%s\"\n", program_.c_str(),
                 name.c_str(), Get(name).c_str());
    std::exit(2);
  }
  return v;
}

bool Config::GetBool(const std::string& name) const {
  bool v = false;
  if (!absl::SimpleAtob(Get(name), &v)) {
    std::fprintf(stderr, "%s: --%s must be true or false, got \"%s\"\n", program_.c_str(),
                 name.c_str(), Get(name).c_str());
    std::exit(2);
  }
  return v;
}

void Config::ParseOrExit(int argc, char** argv) {
  absl::Status s = Parse(argc, argv);
  if (!s.ok()) {
    std::cerr << program_ << ": " << s.message() << "\n(see --help)\n";
    std::exit(2);
  }
  if (help_requested_) {
    std::cout << HelpText();
    std::exit(0);
  }
}

}  // namespace cmtp
