#include "tests/support/redis_sentinel.h"

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/support/ports.h"

namespace cmtp::testing {
namespace {

constexpr char kRedisServer[] = "/usr/bin/redis-server";

std::string CliAt(int port, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/redis-cli", "-p", std::to_string(port)};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = RunCommand(argv, "", {}, std::chrono::seconds(5));
  return std::string(absl::StripTrailingAsciiWhitespace(r.out));
}

}  // namespace

RedisNode::RedisNode() : dir_(MakeTempDir("cmtp-redis-node-")), port_(FreePort()) {}

RedisNode::~RedisNode() { process_.Kill(); }

bool RedisNode::Start(const std::string& master) {
  std::vector<std::string> argv = {
      kRedisServer, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--dir", dir_,
      "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
      "--logfile", absl::StrCat(dir_, "/redis.log"),
      // A replica that connects syncs at once, not
      // after the default 5 s wait for others.
      "--repl-diskless-sync-delay", "0"};
  if (!master.empty()) {
    std::vector<std::string> host_port = absl::StrSplit(master, ':');
    if (host_port.size() != 2) return false;
    argv.insert(argv.end(), {"--replicaof", host_port[0], host_port[1]});
  }
  if (!process_.Start(argv, {}, absl::StrCat(dir_, "/redis.stdout"))) return false;
  return WaitFor([&] { return Cli({"PING"}) == "PONG"; });
}

void RedisNode::KillHard() { process_.Kill(); }

bool RedisNode::Running() { return process_.Running(); }

std::string RedisNode::address() const { return absl::StrCat("127.0.0.1:", port_); }

std::string RedisNode::Role() const {
  std::string role = Cli({"ROLE"});
  return role.substr(0, role.find('\n'));
}

std::string RedisNode::Cli(const std::vector<std::string>& args) const {
  return CliAt(port_, args);
}

SentinelNode::SentinelNode() : dir_(MakeTempDir("cmtp-sentinel-")), port_(FreePort()) {}

SentinelNode::~SentinelNode() { process_.Kill(); }

bool SentinelNode::Start(const std::string& master_address,
                         const SentinelOptions& options) {
  std::vector<std::string> host_port = absl::StrSplit(master_address, ':');
  if (host_port.size() != 2) return false;
  master_name_ = options.master_name;
  const std::string& name = options.master_name;
  // Sentinel rewrites its config file (its id, what it learnt), so each one
  // gets its own, in its own folder.
  std::string config_path = absl::StrCat(dir_, "/sentinel.conf");
  {
    std::ofstream config(config_path, std::ios::trunc);
    config << "port " << port_ << "\n"
           << "bind 127.0.0.1\n"
           << "daemonize no\n"
           << "dir " << dir_ << "\n"
           << "logfile " << dir_ << "/sentinel.log\n"
           << "sentinel monitor " << name << " " << host_port[0] << " " << host_port[1]
           << " " << options.quorum << "\n"
           << "sentinel down-after-milliseconds " << name << " "
           << options.down_after.count() << "\n"
           << "sentinel failover-timeout " << name << " "
           << options.failover_timeout.count() << "\n"
           << "sentinel parallel-syncs " << name << " 1\n";
    if (!config) return false;
  }
  if (!process_.Start({kRedisServer, config_path, "--sentinel"}, {},
                      absl::StrCat(dir_, "/sentinel.stdout"))) {
    return false;
  }
  return WaitFor([&] { return Cli({"PING"}) == "PONG"; });
}

void SentinelNode::KillHard() { process_.Kill(); }

std::string SentinelNode::address() const { return absl::StrCat("127.0.0.1:", port_); }

std::string SentinelNode::MasterAddress() const {
  std::vector<std::string> lines =
      absl::StrSplit(Cli({"SENTINEL", "get-master-addr-by-name", master_name_}), '\n');
  if (lines.size() != 2) return "";
  return absl::StrCat(absl::StripAsciiWhitespace(lines[0]), ":",
                      absl::StripAsciiWhitespace(lines[1]));
}

std::string SentinelNode::Cli(const std::vector<std::string>& args) const {
  return CliAt(port_, args);
}

SentinelTopology::SentinelTopology() {
  for (int i = 0; i < 2; ++i) nodes_.push_back(std::make_unique<RedisNode>());
  for (int i = 0; i < 3; ++i) sentinels_.push_back(std::make_unique<SentinelNode>());
}

SentinelTopology::~SentinelTopology() {
  // Sentinels first, so that none starts a failover while the nodes stop.
  sentinels_.clear();
  nodes_.clear();
}

bool SentinelTopology::Start() {
  RedisNode& master = *nodes_[0];
  RedisNode& replica = *nodes_[1];
  if (!master.Start() || !replica.Start(master.address())) return false;
  if (!WaitFor([&] {
        return absl::StrContains(master.Cli({"INFO", "replication"}), "state=online");
      })) {
    return false;
  }
  for (auto& sentinel : sentinels_) {
    if (!sentinel->Start(master.address(), options_)) return false;
  }
  // Sentinels find the replica through the master's INFO and each other
  // through hello messages published every 2 s.
  return WaitFor([&] {
    for (auto& sentinel : sentinels_) {
      std::string info = sentinel->Cli({"INFO", "sentinel"});
      if (!absl::StrContains(info, "status=ok") ||
          !absl::StrContains(info, "slaves=1,sentinels=3")) {
        return false;
      }
    }
    return true;
  });
}

std::vector<std::string> SentinelTopology::sentinel_addresses() const {
  std::vector<std::string> addresses;
  for (const auto& sentinel : sentinels_) addresses.push_back(sentinel->address());
  return addresses;
}

std::string SentinelTopology::SentinelsFlag() const {
  return absl::StrJoin(sentinel_addresses(), ",");
}

RedisNode* SentinelTopology::CurrentMaster() const {
  std::string named;
  for (const auto& sentinel : sentinels_) {
    std::string address = sentinel->MasterAddress();
    if (address.empty() || (!named.empty() && address != named)) return nullptr;
    named = address;
  }
  for (const auto& node : nodes_) {
    if (node->address() == named) return node.get();
  }
  return nullptr;
}

std::string SentinelTopology::KillMaster() {
  RedisNode* master = CurrentMaster();
  if (master == nullptr) return "";
  master->KillHard();
  return master->address();
}

RedisNode* SentinelTopology::WaitForNewMaster(const std::string& old_master,
                                              std::chrono::milliseconds timeout) {
  RedisNode* master = nullptr;
  bool found = WaitFor(
      [&] {
        master = CurrentMaster();
        return master != nullptr && master->address() != old_master &&
               master->Role() == "master";
      },
      timeout);
  return found ? master : nullptr;
}

bool SentinelTopology::RestartKilledAsReplicas(std::chrono::milliseconds timeout) {
  RedisNode* master = CurrentMaster();
  if (master == nullptr) return false;
  for (auto& node : nodes_) {
    if (node.get() != master && !node->Running() && !node->Start(master->address())) {
      return false;
    }
  }
  size_t replicas = nodes_.size() - 1;
  return WaitFor(
      [&] {
        std::string info = master->Cli({"INFO", "replication"});
        size_t online = 0;
        for (size_t at = info.find("state=online"); at != std::string::npos;
             at = info.find("state=online", at + 1)) {
          ++online;
        }
        return online == replicas;
      },
      timeout);
}

}  // namespace cmtp::testing
