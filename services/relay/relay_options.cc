#include "services/relay/relay_options.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/common/errors.h"
#include "lib/redis/pool_config.h"
#include "services/relay/discovery.h"

namespace cmtp::relay {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

// Declares `--name` with its CMTP_NAME environment fallback.
void Flag(Config& config, const std::string& name, const std::string& default_value,
          const std::string& help) {
  std::string env = "CMTP_" + name;
  std::transform(env.begin(), env.end(), env.begin(), [](char c) {
    return c == '-' ? '_'
                    : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  config.Add(name, env, default_value, help);
}

// The integer value of `name`, which must lie in [min, max].
absl::StatusOr<int64_t> IntFlag(const Config& config, const std::string& name,
                                int64_t min, int64_t max) {
  if (absl::Status valid = config.ValidateInt(name); !valid.ok()) return valid;
  int64_t value = config.GetInt(name);
  if (value < min || value > max) {
    return error::InvalidInput(absl::StrCat("--", name, " must be between ", min, " and ",
                                            max, ", got ", value));
  }
  return value;
}

absl::StatusOr<std::string> NonEmptyFlag(const Config& config, const std::string& name) {
  std::string value = config.Get(name);
  if (value.empty()) {
    return error::InvalidInput(absl::StrCat("--", name, " must not be empty"));
  }
  return value;
}

// "a.example, B.example" -> {"a.example", "b.example"}.
std::set<std::string> DomainList(const std::string& text) {
  std::set<std::string> domains;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    domains.insert(absl::AsciiStrToLower(absl::StripAsciiWhitespace(part)));
  }
  return domains;
}

// Reads the integer flags into `options`; the first bad one is returned.
absl::Status ReadDeliveryFlags(const Config& config, RelayOptions& options) {
  struct IntTarget {
    const char* name;
    int64_t min;
    int64_t max;
    int64_t scale;  // to milliseconds, or 1
    int64_t* target;
  };
  int64_t workers = 0, per_destination = 0, wait_replicas = 0, wait_timeout = 0;
  int64_t batch_enqueues = 0;
  int64_t connect_timeout = 0, io_timeout = 0;
  const IntTarget targets[] = {
      {"workers", 1, 1024, 1, &workers},
      {"max-per-destination", 1, 1024, 1, &per_destination},
      {"max-batch-enqueues", 1, 65'536, 1, &batch_enqueues},
      {"max-queue-lifetime-seconds", 1, 365 * kDayMs / 1000, 1000,
       &options.max_queue_lifetime_ms},
      {"lease-seconds", 1, kDayMs / 1000, 1000, &options.lease_ms},
      {"poll-interval-ms", 1, 60'000, 1, &options.poll_interval_ms},
      {"key-cache-seconds", 1, 30 * kDayMs / 1000, 1000, &options.key_cache_ms},
      {"negative-key-cache-seconds", 1, 30 * kDayMs / 1000, 1000,
       &options.negative_key_cache_ms},
      {"wait-replicas", 0, 64, 1, &wait_replicas},
      {"wait-timeout-ms", 1, 600'000, 1, &wait_timeout},
      {"connect-timeout-ms", 1, 600'000, 1, &connect_timeout},
      {"io-timeout-ms", 1, 3'600'000, 1, &io_timeout},
      {"idle-connection-seconds", 0, 3600, 1000, &options.idle_connection_ms},
      {"pin-recheck-ms", 0, 3'600'000, 1, &options.pin_recheck_ms},
  };
  for (const IntTarget& target : targets) {
    absl::StatusOr<int64_t> value = IntFlag(config, target.name, target.min, target.max);
    if (!value.ok()) return value.status();
    *target.target = *value * target.scale;
  }
  options.workers = static_cast<int>(workers);
  options.max_per_destination = static_cast<int>(per_destination);
  options.max_batch_enqueues = static_cast<int>(batch_enqueues);
  options.wait_replicas = static_cast<int>(wait_replicas);
  options.wait_timeout_ms = static_cast<int>(wait_timeout);
  options.connect_timeout = std::chrono::milliseconds(connect_timeout);
  options.io_timeout = std::chrono::milliseconds(io_timeout);

  // One knob for both waits, for setups that think of "how long a peer may
  // take" rather than of connect and I/O separately.
  absl::StatusOr<int64_t> delivery_timeout =
      IntFlag(config, "delivery-timeout-seconds", 0, 3600);
  if (!delivery_timeout.ok()) return delivery_timeout.status();
  if (*delivery_timeout > 0) {
    options.connect_timeout = std::chrono::seconds(*delivery_timeout);
    options.io_timeout = std::chrono::seconds(*delivery_timeout);
  }
  return absl::OkStatus();
}

}  // namespace

void DeclareRelayFlags(Config& config) {
  redis::AddRedisFlags(config);
  Flag(config, "redis-connections", "16", "Redis connection pool size");
  Flag(config, "domain", "localhost",
       "our domain: failure notices come from postmaster@DOMAIN");
  Flag(config, "server-key-file", "server.key",
       "the server key (the keyserver's file): signs failure notices and their log");
  Flag(config, "keyserver", "127.0.0.1:7001",
       "keyserver gRPC address (the sender's key for a failure notice)");
  Flag(config, "mailstore", "127.0.0.1:7002",
       "mailstore gRPC address (where failure notices are stored)");
  Flag(config, "peers", "",
       "static map domain=host:port,... consulted before DNS (CMTP_PEERS)");
  Flag(config, "dns-server", "", "DNS server host:port (empty: the system's)");
  Flag(config, "workers", "64", "delivery threads");
  Flag(config, "max-per-destination", "32", "deliveries to one domain at the same time");
  Flag(config, "max-batch-enqueues", "256",
       "most messages one EnqueueBatch call may carry (a larger call is refused)");
  Flag(config, "retry-schedule-seconds", "60,300,900,1800,3600,7200",
       "waits after each failed attempt, the last one repeating");
  Flag(config, "retry-schedule", "",
       "the same as --retry-schedule-seconds (wins if set)");
  Flag(config, "max-queue-lifetime-seconds", "432000",
       "after this long in the queue the sender gets a failure notice");
  Flag(config, "lease-seconds", "60",
       "a claimed message is retried by another worker after this long");
  Flag(config, "poll-interval-ms", "200", "how often idle workers look for due work");
  Flag(config, "reference-peers", "",
       "domains run by the reference server (64-byte trailer, no status reply)");
  Flag(config, "key-cache-seconds", "3600", "how long a fetched foreign key is kept");
  Flag(config, "negative-key-cache-seconds", "60",
       "how long a foreign \"not available\" answer is kept");
  Flag(config, "wait-replicas", "0", "replicas an Enqueue waits for (Redis WAIT)");
  Flag(config, "wait-timeout-ms", "1000", "how long that wait may take");
  Flag(config, "connect-timeout-ms", "10000", "connecting to a peer");
  Flag(config, "io-timeout-ms", "30000", "longest silence of a peer mid-exchange");
  Flag(config, "delivery-timeout-seconds", "0",
       "when > 0: both the connect and the I/O timeout, in seconds");
  Flag(config, "idle-connection-seconds", "30",
       "an open connection to a peer is kept this long for the next message");
  Flag(config, "pin-recheck-ms", "1000",
       "a reused connection's server key is checked against the pin again after "
       "this long (0: on every reuse)");
  Flag(config, "rpc-timeout-seconds", "10", "deadline of each keyserver/mailstore call");
  Flag(config, "shutdown-grace-seconds", "10",
       "after SIGTERM, how long deliveries in flight may take to finish");
}

absl::StatusOr<RelayProcessOptions> RelayProcessOptionsFromConfig(const Config& config) {
  RelayProcessOptions options;
  for (auto [name, target] :
       {std::pair<const char*, std::string*>{"server-key-file", &options.server_key_file},
        {"keyserver", &options.keyserver},
        {"mailstore", &options.mailstore},
        {"domain", &options.relay.domain}}) {
    absl::StatusOr<std::string> value = NonEmptyFlag(config, name);
    if (!value.ok()) return value.status();
    *target = *std::move(value);
  }
  options.relay.domain = absl::AsciiStrToLower(options.relay.domain);
  options.dns_server = config.Get("dns-server");

  absl::StatusOr<std::map<std::string, std::string>> peers =
      ParseStaticPeers(config.Get("peers"));
  if (!peers.ok()) {
    return error::InvalidInput(absl::StrCat("--peers: ", peers.status().message()));
  }
  options.static_peers = *std::move(peers);

  std::string schedule_text = config.Get("retry-schedule");
  if (schedule_text.empty()) schedule_text = config.Get("retry-schedule-seconds");
  absl::StatusOr<RetrySchedule> schedule = RetrySchedule::Parse(schedule_text);
  if (!schedule.ok()) return schedule.status();
  options.relay.retry_schedule = *std::move(schedule);
  options.relay.reference_peers = DomainList(config.Get("reference-peers"));

  if (absl::Status read = ReadDeliveryFlags(config, options.relay); !read.ok()) {
    return read;
  }
  absl::StatusOr<int64_t> rpc_timeout = IntFlag(config, "rpc-timeout-seconds", 1, 3600);
  if (!rpc_timeout.ok()) return rpc_timeout.status();
  options.rpc_timeout = std::chrono::seconds(*rpc_timeout);
  absl::StatusOr<int64_t> connections = IntFlag(config, "redis-connections", 1, 4096);
  if (!connections.ok()) return connections.status();
  options.redis_connections = static_cast<int>(*connections);
  absl::StatusOr<int64_t> grace = IntFlag(config, "shutdown-grace-seconds", 0, 3600);
  if (!grace.ok()) return grace.status();
  options.shutdown_grace_seconds = static_cast<int>(*grace);
  return options;
}

}  // namespace cmtp::relay
