#include "tests/integration/suite.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/support/ports.h"

namespace cmtp::integration {
namespace {

constexpr auto kPortTimeout = std::chrono::seconds(20);

std::string Tail(const std::string& path, size_t max_bytes = 3000) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  if (all.size() > max_bytes) all = "..." + all.substr(all.size() - max_bytes);
  return all;
}

}  // namespace

std::string BinaryPath(const std::string& relative) {
  return absl::StrCat(CMTP_BINARY_DIR, "/", relative);
}

SuiteOptions ForDomain(const std::string& domain) {
  SuiteOptions options;
  options.domain = domain;
  return options;
}

Suite::Suite(SuiteOptions options)
    : options_(std::move(options)),
      state_dir_(testing::MakeTempDir("cmtp-integ-")),
      redis_(std::make_unique<testing::RedisServer>()) {
  std::filesystem::create_directories(state_dir_ + "/logs");
  ports_[Service::kKeyserver] = 0;
  ports_[Service::kMailstore] = 0;
  ports_[Service::kGateway] = 0;
}

Suite::~Suite() {
  // Services first, Redis last.
  for (Service s : {Service::kGateway, Service::kMailstore, Service::kKeyserver}) {
    auto it = processes_.find(s);
    if (it != processes_.end()) it->second.Stop(SIGTERM, std::chrono::seconds(5));
  }
  std::string redis_dir = redis_->dir();
  redis_.reset();
  // Under -DCMTP_SANITIZE=ON the services report at exit; a report fails the
  // test that ran them.
  for (const char* name : {"keyserver", "mailstore", "gateway"}) {
    std::string log = Tail(absl::StrCat(state_dir_, "/logs/", name, ".log"), 1 << 20);
    for (const char* marker :
         {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"}) {
      size_t at = log.find(marker);
      if (at != std::string::npos) {
        ADD_FAILURE() << "cmtp-" << name << " reported a sanitizer error:\n"
                      << log.substr(at, 4000);
        break;
      }
    }
  }
  if (::testing::Test::HasFailure()) {
    std::fprintf(stderr, "integration: state and logs kept in %s (Redis: %s)\n",
                 state_dir_.c_str(), redis_dir.c_str());
  } else {
    std::error_code ec;
    std::filesystem::remove_all(state_dir_, ec);
    std::filesystem::remove_all(redis_dir, ec);
  }
}

std::string Suite::ServiceName(Service service) const {
  switch (service) {
    case Service::kKeyserver:
      return "keyserver";
    case Service::kMailstore:
      return "mailstore";
    case Service::kGateway:
      return "gateway";
  }
  return "unknown";
}

std::vector<std::string> Suite::ServiceArgv(Service service, int port) const {
  std::string name = ServiceName(service);
  std::vector<std::string> argv = {
      BinaryPath(absl::StrCat("services/", name, "/cmtp-", name)), "--port-file",
      absl::StrCat(state_dir_, "/", name, ".port")};
  const std::vector<std::string>* extra = nullptr;
  switch (service) {
    case Service::kKeyserver:
      argv.insert(argv.end(), {"--listen", absl::StrCat("127.0.0.1:", port), "--redis",
                               redis_->address(), "--domain", options_.domain,
                               "--server-key-file", server_key_file()});
      extra = &options_.keyserver_flags;
      break;
    case Service::kMailstore:
      argv.insert(argv.end(), {"--listen", absl::StrCat("127.0.0.1:", port), "--redis",
                               redis_->address()});
      extra = &options_.mailstore_flags;
      break;
    case Service::kGateway:
      argv.insert(
          argv.end(),
          {"--listen-address", "127.0.0.1", "--port", std::to_string(port), "--domain",
           options_.domain, "--keyserver", keyserver_address(), "--mailstore",
           mailstore_address(), "--server-key-file", server_key_file()});
      extra = &options_.gateway_flags;
      break;
  }
  argv.insert(argv.end(), extra->begin(), extra->end());
  return argv;
}

bool Suite::StartService(Service service, int port) {
  std::string name = ServiceName(service);
  std::string port_file = absl::StrCat(state_dir_, "/", name, ".port");
  std::filesystem::remove(port_file);
  std::string log = absl::StrCat(state_dir_, "/logs/", name, ".log");
  std::vector<std::string> argv = ServiceArgv(service, port);
  if (access(argv[0].c_str(), X_OK) != 0) {
    error_ = absl::StrCat(argv[0], " is not built");
    return false;
  }
  testing::Process process;
  if (!process.Start(argv, {}, log)) {
    error_ = absl::StrCat("cannot start ", argv[0]);
    return false;
  }
  int bound = testing::WaitForPortFile(port_file, kPortTimeout);
  if (bound == 0 || !process.Running()) {
    error_ = absl::StrCat("cmtp-", name, " did not start (", absl::StrJoin(argv, " "),
                          "):\n", Tail(log));
    return false;
  }
  if (port != 0 && bound != port) {
    error_ =
        absl::StrCat("cmtp-", name, " came back on port ", bound, " instead of ", port);
    return false;
  }
  ports_[service] = bound;
  processes_[service] = std::move(process);
  return true;
}

bool Suite::Start() {
  if (!redis_->Start()) {
    error_ =
        absl::StrCat("redis-server did not start:\n", Tail(redis_->dir() + "/redis.log"));
    return false;
  }
  return StartService(Service::kKeyserver, 0) && StartService(Service::kMailstore, 0) &&
         StartService(Service::kGateway, 0);
}

bool Suite::Restart(Service service) {
  auto it = processes_.find(service);
  if (it != processes_.end()) it->second.Kill();
  return StartService(service, ports_[service]);
}

bool Suite::Running(Service service) {
  auto it = processes_.find(service);
  return it != processes_.end() && it->second.Running();
}

bool Suite::RestartRedis() {
  redis_->KillHard();
  if (!redis_->Start()) {
    error_ = absl::StrCat("redis-server did not restart:\n",
                          Tail(redis_->dir() + "/redis.log"));
    return false;
  }
  return true;
}

std::string Suite::ServerPublicKey() const {
  std::string key = testing::ReadFileOrDie(server_key_file());
  if (key.size() != 64) return "";
  return key.substr(32);
}

std::string Suite::gateway_address() const {
  return absl::StrCat("127.0.0.1:", ports_.at(Service::kGateway));
}
std::string Suite::keyserver_address() const {
  return absl::StrCat("127.0.0.1:", ports_.at(Service::kKeyserver));
}
std::string Suite::mailstore_address() const {
  return absl::StrCat("127.0.0.1:", ports_.at(Service::kMailstore));
}

std::string Suite::Logs() const {
  std::string out = "\n";
  for (const char* name : {"keyserver", "mailstore", "gateway"}) {
    absl::StrAppend(&out, "---- ", name, ".log\n",
                    Tail(absl::StrCat(state_dir_, "/logs/", name, ".log"), 1500), "\n");
  }
  absl::StrAppend(&out, "---- redis.log\n", Tail(redis_->dir() + "/redis.log", 800),
                  "\n");
  return out;
}

std::string Suite::NewDir(const std::string& name) {
  std::string dir = absl::StrCat(state_dir_, "/", name, "-", ++dir_counter_);
  std::filesystem::create_directories(dir);
  chmod(dir.c_str(), 0700);
  return dir;
}

std::string Suite::WriteFile(const std::string& name, const std::string& content) {
  std::string path = absl::StrCat(NewDir("files"), "/", name);
  std::ofstream out(path, std::ios::binary);
  out << content;
  out.close();
  chmod(path.c_str(), 0600);
  return path;
}

CommandResult Suite::Cmtp(const std::vector<std::string>& args,
                          const std::string& stdin_data) const {
  std::vector<std::string> argv = {BinaryPath("tools/cmtp/cmtp")};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::RunCommand(argv, stdin_data, {{"CMTP_KDF_COST", "interactive"}},
                             std::chrono::seconds(60));
}

CommandResult Suite::Cmtpctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {BinaryPath("tools/cmtpctl/cmtpctl"), "--keyserver",
                                   keyserver_address(), "--mailstore",
                                   mailstore_address()};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing::RunCommand(argv, "", {{"CMTP_KDF_COST", "interactive"}},
                             std::chrono::seconds(60));
}

User MakeUser(Suite& suite, const std::string& name, const std::string& password) {
  User user;
  user.account = absl::StrCat(name, "@", suite.domain());
  user.password_file = suite.WriteFile(name + ".password", password);
  user.state_dir = suite.NewDir(name + "-device");
  return user;
}

User OtherDevice(Suite& suite, const User& user) {
  User other = user;
  other.state_dir = suite.NewDir("other-device");
  return other;
}

CommandResult RunCli(const Suite& suite, const User& user, const std::string& command,
                     const std::vector<std::string>& args,
                     const std::string& stdin_data) {
  std::vector<std::string> argv = {
      command,       "--server",        suite.gateway_address(), "--account",
      user.account,  "--password-file", user.password_file,      "--state-dir",
      user.state_dir};
  argv.insert(argv.end(), args.begin(), args.end());
  return suite.Cmtp(argv, stdin_data);
}

CommandResult ImportReference(Suite& suite) {
  std::string dir = suite.NewDir("reference");
  auto copy = [&](const std::string& vector, const std::string& to) {
    std::filesystem::create_directories(std::filesystem::path(dir + to).parent_path());
    std::ofstream out(dir + to, std::ios::binary);
    out << testing::ReadFileOrDie(testing::VectorPath(vector));
  };
  copy("alice_public.key", "/mail/alice/public.key");
  copy("alice.xzibit", "/mail/alice/alice.xzibit");
  copy("bob_public.key", "/mail/bob/public.key");
  return suite.Cmtpctl({"import-reference", dir, "--domain", suite.domain()});
}

std::string Describe(const CommandResult& result) {
  return absl::StrCat("exit ", result.exit_code, "\n--- stdout:\n", result.out,
                      "\n--- stderr:\n", result.err);
}

}  // namespace cmtp::integration
