// The relay's settings and the flags of `cmtp-relay` that set them
// (docs/services.md, "relay"), read in one place so that main stays short and
// the parsing is tested.
#ifndef CMTP_SERVICES_RELAY_RELAY_OPTIONS_H_
#define CMTP_SERVICES_RELAY_RELAY_OPTIONS_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "lib/common/config.h"
#include "services/relay/retry_schedule.h"

namespace cmtp::relay {

// What the relay's core needs: queue policy, delivery and key fetching.
struct RelayOptions {
  std::string domain = "localhost";  // ours: failure notices come from postmaster@it

  // Delivery. An attempt mostly waits (for the peer's fsync, its mailstore):
  // enough of them in flight per destination let the peer commit them in
  // groups (docs/performance.md, cross-domain). CMTP has no pipelining:
  // deliveries in flight are the only way to keep a peer's disk busy, and 32
  // delivered about a quarter more than 16 to one peer of ours.
  int workers = 64;
  int max_per_destination = 32;
  RetrySchedule retry_schedule;
  int64_t max_queue_lifetime_ms = 5LL * 24 * 3600 * 1000;
  // A claimed message is invisible to other workers this long; a relay that
  // dies mid-delivery leaves it to be retried when the lease ends.
  int64_t lease_ms = 60'000;
  int64_t poll_interval_ms = 200;
  // Domains run by the reference server: 64-byte trailer, no status reply.
  std::set<std::string> reference_peers;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds io_timeout{30'000};
  // Open connections to a peer are kept this long for the next message.
  int64_t idle_connection_ms = 30'000;
  // A reused connection's server key is checked against the pin again after
  // this long (0: on every reuse); a re-pin reaches open connections within it.
  int64_t pin_recheck_ms = 1'000;

  // Foreign keys.
  int64_t key_cache_ms = 3600'000;
  int64_t negative_key_cache_ms = 60'000;

  // Messages one EnqueueBatch call may carry; a larger call fails whole.
  int max_batch_enqueues = 256;

  // Durability of Enqueue beyond the master's AOF: replicas to WAIT for.
  int wait_replicas = 0;
  int wait_timeout_ms = 1000;
};

// Everything the binary needs besides RelayOptions.
struct RelayProcessOptions {
  std::string server_key_file = "server.key";
  std::string keyserver = "127.0.0.1:7001";
  std::string mailstore = "127.0.0.1:7002";
  std::string dns_server;  // empty: the system's resolver
  std::map<std::string, std::string> static_peers;
  std::chrono::milliseconds rpc_timeout{10'000};
  int redis_connections = 16;
  int shutdown_grace_seconds = 10;
  RelayOptions relay;
};

// Declares the relay's own flags and the Redis ones; where it listens, TLS,
// metrics and logs are rpc::AddServiceFlags'.
void DeclareRelayFlags(Config& config);

// InvalidInput naming the flag when a value cannot be used.
absl::StatusOr<RelayProcessOptions> RelayProcessOptionsFromConfig(const Config& config);

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_RELAY_OPTIONS_H_
