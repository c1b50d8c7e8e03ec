// Redis with Sentinel for tests, on loopback: data nodes (redis-server, AOF
// with appendfsync always, each in its own folder on its own free port),
// sentinels (redis-server --sentinel with a config file of their own), and a
// ready-made topology of a master, one replica and three sentinels (quorum 2)
// that fails over about two seconds after its master is killed.
#ifndef CMTP_TESTS_SUPPORT_REDIS_SENTINEL_H_
#define CMTP_TESTS_SUPPORT_REDIS_SENTINEL_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace cmtp::testing {

// One redis-server holding data: a master, or a replica of one.
class RedisNode {
 public:
  RedisNode();  // picks a folder and a port; call Start()
  ~RedisNode();
  RedisNode(const RedisNode&) = delete;
  RedisNode& operator=(const RedisNode&) = delete;

  // Starts (or restarts on the same folder, port and data), as a replica of
  // `master` ("host:port") when that is not empty, and waits for PING.
  bool Start(const std::string& master = "");
  void KillHard();  // SIGKILL: no shutdown, no last save
  bool Running();

  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:PORT"
  const std::string& dir() const { return dir_; }
  // "master" or "slave" from ROLE; empty when it does not answer.
  std::string Role() const;
  // Runs redis-cli against this node and returns its stdout (trimmed).
  std::string Cli(const std::vector<std::string>& args) const;

 private:
  std::string dir_;
  int port_ = 0;
  Process process_;
};

struct SentinelOptions {
  std::string master_name = "cmtp-test";
  int quorum = 2;
  std::chrono::milliseconds down_after{1000};
  std::chrono::milliseconds failover_timeout{3000};
};

// One sentinel watching one master.
class SentinelNode {
 public:
  SentinelNode();  // picks a folder and a port; call Start()
  ~SentinelNode();
  SentinelNode(const SentinelNode&) = delete;
  SentinelNode& operator=(const SentinelNode&) = delete;

  // Writes its config (monitoring `master_address`, "127.0.0.1:PORT") and
  // starts it; waits for PING.
  bool Start(const std::string& master_address, const SentinelOptions& options);
  void KillHard();

  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:PORT"
  // The address it names for its master (get-master-addr-by-name), "host:port";
  // empty when it names none or does not answer.
  std::string MasterAddress() const;
  std::string Cli(const std::vector<std::string>& args) const;

 private:
  std::string dir_;
  int port_ = 0;
  std::string master_name_;
  Process process_;
};

// A master (node 0 at first), a replica of it (node 1) and three sentinels
// with quorum 2, down-after-milliseconds 1000 and failover-timeout 3000.
class SentinelTopology {
 public:
  SentinelTopology();
  ~SentinelTopology();

  // Starts the master, the replica (and waits until it is in sync), then the
  // sentinels, and waits until every sentinel knows the replica and the two
  // other sentinels, so that a failover can be agreed on.
  bool Start();

  const std::string& master_name() const { return options_.master_name; }
  std::vector<std::string> sentinel_addresses() const;
  std::string SentinelsFlag() const;  // the addresses, comma-separated

  RedisNode& node(int i) { return *nodes_[i]; }
  SentinelNode& sentinel(int i) { return *sentinels_[i]; }

  // The node every sentinel names as the master; nullptr when they do not
  // all name the same one of ours.
  RedisNode* CurrentMaster() const;
  // SIGKILLs the current master; returns its address, empty when there was none.
  std::string KillMaster();
  // Waits until every sentinel names a master other than `old_master` and
  // that node answers ROLE with "master". Returns it, or nullptr on timeout.
  RedisNode* WaitForNewMaster(
      const std::string& old_master,
      std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Restarts every killed node as a replica of the current master (what an
  // operator's restart script does after asking the sentinels) and waits until
  // the master counts them all as online replicas.
  bool RestartKilledAsReplicas(
      std::chrono::milliseconds timeout = std::chrono::seconds(20));

 private:
  SentinelOptions options_;
  std::vector<std::unique_ptr<RedisNode>> nodes_;
  std::vector<std::unique_ptr<SentinelNode>> sentinels_;
};

}  // namespace cmtp::testing

#endif  // CMTP_TESTS_SUPPORT_REDIS_SENTINEL_H_
