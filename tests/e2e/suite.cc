#include "tests/e2e/suite.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "tests/support/ports.h"

namespace cmtp::testing {

std::string Binary(const std::string& relative) {
  return std::string(CMTP_BINARY_DIR) + "/" + relative;
}

Suite::Suite(std::string domain, std::vector<std::string> gateway_flags)
    : domain_(std::move(domain)),
      gateway_flags_(std::move(gateway_flags)),
      dir_(MakeTempDir("cmtp-suite-")) {}

Suite::~Suite() {
  gateway_.Kill();
  mailstore_.Kill();
  keyserver_.Kill();
}

std::string Suite::gateway_address() const {
  return absl::StrCat("127.0.0.1:", gateway_port_);
}
std::string Suite::keyserver_address() const {
  return absl::StrCat("127.0.0.1:", keyserver_port_);
}
std::string Suite::mailstore_address() const {
  return absl::StrCat("127.0.0.1:", mailstore_port_);
}

bool Suite::Start() {
  if (!redis_.Start()) return false;
  return StartKeyserver() && StartMailstore() && StartGateway();
}

bool Suite::StartKeyserver() {
  std::string port_file = dir_ + "/keyserver.port";
  std::filesystem::remove(port_file);
  if (!keyserver_.Start(
          {Binary("services/keyserver/cmtp-keyserver"), "--listen=127.0.0.1:0",
           "--port-file=" + port_file, "--redis=" + redis_.address(),
           "--domain=" + domain_, "--server-key-file=" + server_key_path()},
          {}, dir_ + "/keyserver.log")) {
    return false;
  }
  keyserver_port_ = WaitForPortFile(port_file);
  return keyserver_port_ > 0;
}

bool Suite::StartMailstore() {
  std::string port_file = dir_ + "/mailstore.port";
  std::filesystem::remove(port_file);
  if (!mailstore_.Start(
          {Binary("services/mailstore/cmtp-mailstore"), "--listen=127.0.0.1:0",
           "--port-file=" + port_file, "--redis=" + redis_.address()},
          {}, dir_ + "/mailstore.log")) {
    return false;
  }
  mailstore_port_ = WaitForPortFile(port_file);
  return mailstore_port_ > 0;
}

bool Suite::StartGateway() {
  std::string port_file = dir_ + "/gateway.port";
  std::filesystem::remove(port_file);
  std::vector<std::string> argv = {
      Binary("services/gateway/cmtp-gateway"), "--listen-address=127.0.0.1",
      // Reuse the port across restarts so clients' state stays valid.
      absl::StrCat("--port=", gateway_port_), "--port-file=" + port_file,
      "--domain=" + domain_, "--keyserver=" + keyserver_address(),
      "--mailstore=" + mailstore_address(), "--server-key-file=" + server_key_path()};
  argv.insert(argv.end(), gateway_flags_.begin(), gateway_flags_.end());
  if (!gateway_.Start(argv, {}, dir_ + "/gateway.log")) return false;
  gateway_port_ = WaitForPortFile(port_file);
  return gateway_port_ > 0 && WaitFor([&] { return CanConnect(gateway_port_); });
}

bool Suite::RestartKeyserver() {
  keyserver_.Kill();
  return StartKeyserver();
}

// The mailstore comes back on a new port; the gateway is restarted too so it
// dials the new address (in production a Service name hides this).
bool Suite::RestartMailstore() {
  mailstore_.Kill();
  if (!StartMailstore()) return false;
  return RestartGateway();
}

bool Suite::RestartGateway() {
  gateway_.Kill();
  return StartGateway();
}

void Suite::KillMailstore() { mailstore_.Kill(); }

std::string Suite::server_public_key() const {
  std::string key = ReadFileOrDie(server_key_path());
  return key.substr(32, 32);
}

CommandResult Suite::Cmtp(const std::string& state_dir, std::vector<std::string> args,
                          const std::string& stdin_data) const {
  std::vector<std::string> argv = {Binary("tools/cmtp/cmtp")};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--state-dir=" + state_dir);
  return RunCommand(argv, stdin_data, {{"CMTP_KDF_COST", "interactive"}});
}

CommandResult Suite::Cmtpctl(std::vector<std::string> args) const {
  std::vector<std::string> argv = {Binary("tools/cmtpctl/cmtpctl"),
                                   "--keyserver=" + keyserver_address(),
                                   "--mailstore=" + mailstore_address()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

std::string Suite::PasswordFile(const std::string& name,
                                const std::string& password) const {
  std::string path = absl::StrCat(dir_, "/", name, ".password");
  std::ofstream(path) << password << "\n";
  return path;
}

}  // namespace cmtp::testing
