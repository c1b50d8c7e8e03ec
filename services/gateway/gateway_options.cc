#include "services/gateway/gateway_options.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"

namespace cmtp::gateway {
namespace {

constexpr int64_t kOneMiB = 1 << 20;

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
  if (value.empty())
    return error::InvalidInput(absl::StrCat("--", name, " must not be empty"));
  return value;
}

// One service's batching flags: calls in flight (0: off), messages per call
// and bytes per call. The services refuse a whole batch over their own bound
// (--max-batch-puts, --max-batch-enqueues: 256 by default), so the gateway's
// stays within it.
absl::StatusOr<BatchingOptions> BatchingFromConfig(const Config& config,
                                                   const std::string& in_flight_flag,
                                                   const std::string& items_flag,
                                                   const std::string& bytes_flag) {
  BatchingOptions batching;
  auto in_flight = IntFlag(config, in_flight_flag, 0, 1024);
  if (!in_flight.ok()) return in_flight.status();
  batching.max_in_flight = static_cast<int>(*in_flight);
  auto items = IntFlag(config, items_flag, 1, 256);
  if (!items.ok()) return items.status();
  batching.max_items = static_cast<int>(*items);
  auto bytes = IntFlag(config, bytes_flag, 1, INT_MAX);
  if (!bytes.ok()) return bytes.status();
  batching.max_bytes = *bytes;
  return batching;
}

}  // namespace

int GatewayOptions::GrpcMessageLimit() const {
  int64_t limit = static_cast<int64_t>(listener.session.limits.max_message) +
                  static_cast<int64_t>(listener.session.limits.max_log) + kOneMiB;
  return static_cast<int>(std::min<int64_t>(limit, INT_MAX));
}

void DeclareGatewayFlags(Config& config) {
  Flag(config, "listen-address", "::", "CMTP listen address (:: also takes IPv4)");
  Flag(config, "port", "9001", "CMTP port (0: any free port)");
  Flag(config, "port-file", "", "write the bound CMTP port here");
  Flag(config, "domain", "localhost", "the domain served");
  Flag(config, "keyserver", "127.0.0.1:7001", "keyserver gRPC address");
  Flag(config, "mailstore", "127.0.0.1:7002", "mailstore gRPC address");
  Flag(config, "relay", "",
       "relay gRPC address (empty: no relay; mail and keys for other domains are "
       "refused)");
  Flag(config, "server-key-file", "server.key",
       "the server key (the keyserver's file): signs status replies");
  Flag(config, "max-message-bytes", "33554432", "MAIL body + attachments");
  Flag(config, "max-log-bytes", "65536", "MAIL log");
  Flag(config, "max-attachments", "64", "attachments per MAIL");
  Flag(config, "idle-timeout-seconds", "300", "no complete command for this long: close");
  Flag(config, "session-timeout-seconds", "3600", "longest a connection may live");
  Flag(config, "max-connections", "100000",
       "beyond it new connections get a FAILURE and are closed");
  Flag(config, "threads", "1", "Asio threads");
  Flag(config, "rpc-timeout-seconds", "10",
       "deadline of each keyserver/mailstore/relay call");
  Flag(config, "mailstore-batch-in-flight", "2",
       "PutBatch calls to the mailstore out at once; the MAILs that arrive meanwhile "
       "go together in the next (0: one Put call per MAIL)");
  Flag(config, "mailstore-batch-puts", "64",
       "most MAILs in one PutBatch call (at most the mailstore's --max-batch-puts)");
  Flag(config, "mailstore-batch-bytes", "1048576",
       "most blob bytes in one PutBatch call; a larger MAIL goes at once in a Put of "
       "its own");
  Flag(config, "relay-batch-in-flight", "2",
       "EnqueueBatch calls to the relay out at once; the MAILs for other domains that "
       "arrive meanwhile go together in the next (0: one Enqueue call per MAIL)");
  Flag(config, "relay-batch-enqueues", "64",
       "most MAILs in one EnqueueBatch call (at most the relay's --max-batch-enqueues)");
  Flag(config, "relay-batch-bytes", "1048576",
       "most message bytes in one EnqueueBatch call; a larger MAIL goes at once in an "
       "Enqueue of its own");
  Flag(config, "shutdown-grace-seconds", "5",
       "after SIGTERM, how long sessions may take to finish their command");
  Flag(config, "key-cache-ttl-ms", "2000",
       "serve a local account's signed key block from memory this long (0: ask the "
       "keyserver every time); a disabled or re-keyed account is served at most this "
       "long");
  Flag(config, "key-cache-negative-ttl-ms", "500",
       "remember \"no such account\" this long (0: never)");
  Flag(config, "key-cache-entries", "100000", "accounts the key cache holds at most");
  Flag(config, "admin-listen", "",
       "gRPC health service (grpc.health.v1) at HOST:PORT, port 0: any; service \"\" "
       "is readiness, \"liveness\" liveness (empty: off)");
  Flag(config, "admin-port-file", "", "write the bound admin (health) port here");
  Flag(config, "metrics-port-file", "", "write the bound /metrics port here");
  observability::AddObservabilityFlags(config);
}

absl::StatusOr<GatewayOptions> GatewayOptionsFromConfig(const Config& config) {
  GatewayOptions options;
  ListenerOptions& listener = options.listener;
  SessionOptions& session = listener.session;

  auto listen_address = NonEmptyFlag(config, "listen-address");
  if (!listen_address.ok()) return listen_address.status();
  listener.listen_address = *listen_address;
  auto port = IntFlag(config, "port", 0, 65535);
  if (!port.ok()) return port.status();
  listener.port = static_cast<uint16_t>(*port);
  auto max_connections = IntFlag(config, "max-connections", 1, INT_MAX);
  if (!max_connections.ok()) return max_connections.status();
  listener.max_connections = static_cast<size_t>(*max_connections);

  // The message travels in one gRPC message, whose size is an int.
  auto max_message = IntFlag(config, "max-message-bytes", 1, INT_MAX - 64 * kOneMiB);
  if (!max_message.ok()) return max_message.status();
  session.limits.max_message = static_cast<uint64_t>(*max_message);
  auto max_log = IntFlag(config, "max-log-bytes", 0, 16 * kOneMiB);
  if (!max_log.ok()) return max_log.status();
  session.limits.max_log = static_cast<uint64_t>(*max_log);
  auto max_attachments = IntFlag(config, "max-attachments", 0, 1 << 20);
  if (!max_attachments.ok()) return max_attachments.status();
  session.limits.max_attachments = static_cast<uint32_t>(*max_attachments);

  constexpr int64_t kTenYears = int64_t{10} * 365 * 24 * 3600;
  auto idle = IntFlag(config, "idle-timeout-seconds", 1, kTenYears);
  if (!idle.ok()) return idle.status();
  session.idle_timeout = std::chrono::seconds(*idle);
  auto whole = IntFlag(config, "session-timeout-seconds", 1, kTenYears);
  if (!whole.ok()) return whole.status();
  session.session_timeout = std::chrono::seconds(*whole);

  auto threads = IntFlag(config, "threads", 1, 1024);
  if (!threads.ok()) return threads.status();
  options.threads = static_cast<int>(*threads);
  auto rpc_timeout = IntFlag(config, "rpc-timeout-seconds", 1, 3600);
  if (!rpc_timeout.ok()) return rpc_timeout.status();
  options.rpc_deadline = std::chrono::seconds(*rpc_timeout);
  absl::StatusOr<BatchingOptions> put_batching =
      BatchingFromConfig(config, "mailstore-batch-in-flight", "mailstore-batch-puts",
                         "mailstore-batch-bytes");
  if (!put_batching.ok()) return put_batching.status();
  options.put_batching = *put_batching;
  absl::StatusOr<BatchingOptions> enqueue_batching = BatchingFromConfig(
      config, "relay-batch-in-flight", "relay-batch-enqueues", "relay-batch-bytes");
  if (!enqueue_batching.ok()) return enqueue_batching.status();
  options.enqueue_batching = *enqueue_batching;
  auto grace = IntFlag(config, "shutdown-grace-seconds", 0, 3600);
  if (!grace.ok()) return grace.status();
  options.shutdown_grace = std::chrono::seconds(*grace);
  constexpr int64_t kOneDayMs = int64_t{24} * 3600 * 1000;
  auto key_ttl = IntFlag(config, "key-cache-ttl-ms", 0, kOneDayMs);
  if (!key_ttl.ok()) return key_ttl.status();
  options.key_cache.ttl = std::chrono::milliseconds(*key_ttl);
  auto key_negative_ttl = IntFlag(config, "key-cache-negative-ttl-ms", 0, kOneDayMs);
  if (!key_negative_ttl.ok()) return key_negative_ttl.status();
  options.key_cache.negative_ttl = std::chrono::milliseconds(*key_negative_ttl);
  auto key_entries = IntFlag(config, "key-cache-entries", 0, 100000000);
  if (!key_entries.ok()) return key_entries.status();
  options.key_cache.max_entries = static_cast<size_t>(*key_entries);

  absl::StatusOr<observability::ObservabilitySettings> observe =
      observability::ObservabilityFromConfig(config, "gateway");
  if (!observe.ok()) return observe.status();
  options.observability = std::move(*observe);
  options.admin_listen = config.Get("admin-listen");
  options.admin_port_file = config.Get("admin-port-file");
  options.metrics_port_file = config.Get("metrics-port-file");
  options.port_file = config.Get("port-file");
  options.relay = config.Get("relay");
  for (auto [name, field] :
       {std::pair{"domain", &options.domain}, std::pair{"keyserver", &options.keyserver},
        std::pair{"mailstore", &options.mailstore},
        std::pair{"server-key-file", &options.server_key_file}}) {
    auto value = NonEmptyFlag(config, name);
    if (!value.ok()) return value.status();
    *field = *value;
  }
  return options;
}

}  // namespace cmtp::gateway
