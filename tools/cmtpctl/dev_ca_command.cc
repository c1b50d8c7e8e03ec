// `cmtpctl dev-ca --out DIR`: the development CA and service certificates
// (dev_ca.h), from the command line.
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/common/errors.h"
#include "tools/cmtpctl/dev_ca.h"
#include "tools/cmtpctl/operator_commands.h"

namespace cmtp::ctl {
namespace {

std::vector<std::string> CommaList(const std::string& text) {
  return absl::StrSplit(text, ',', absl::SkipWhitespace());
}

}  // namespace

absl::Status MakeDevCa(OperatorContext& context) {
  const cli::CommandLine& line = context.line();
  DevCaOptions options;
  options.out_dir = line.Get("out");
  options.services = CommaList(line.Get("services"));
  options.hosts = CommaList(line.Get("hosts"));
  options.kubernetes_namespace = line.Get("namespace");
  if (!absl::SimpleAtoi(line.Get("days"), &options.valid_days)) {
    return error::InvalidInput("--days must be a number");
  }
  if (absl::Status written = WriteDevCa(options); !written.ok()) return written;
  context.terminal().out << "CA: " << options.out_dir << "/ca.crt (key ca.key)\n";
  for (const std::string& service : options.services) {
    context.terminal().out << service << ": " << options.out_dir << "/" << service
                           << ".crt, " << service << ".key ["
                           << SubjectAltNames(options, service) << "]\n";
  }
  return absl::OkStatus();
}

}  // namespace cmtp::ctl
