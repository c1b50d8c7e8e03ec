// cmtp-mailstore: mailboxes of opaque message blobs, served over gRPC
// (cmtp.v1.MailStore) from Redis.
//
// Threads: the sync gRPC server grows its threads with the load and keeps up
// to one idle thread per Redis connection for the next request; what bounds
// the work sent to Redis is the connection pool (--redis-connections): an RPC
// beyond it waits for a free connection. A gRPC thread quota is deliberately
// not set, since gRPC answers RESOURCE_EXHAUSTED (a refused MAIL) when the
// quota is hit instead of queueing.

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "lib/common/config.h"
#include "lib/common/errors.h"
#include "lib/common/large_buffers.h"
#include "lib/common/mutex_deadlock_detection.h"
#include "lib/redis/client.h"
#include "lib/redis/pool_config.h"
#include "lib/rpc/server.h"
#include "lib/rpc/service_flags.h"
#include "services/mailstore/mailbox_store.h"
#include "services/mailstore/mailstore_service.h"

namespace {

constexpr char kProgram[] = "cmtp-mailstore";
// Room for the request's other fields and framing around the largest blob.
constexpr int64_t kGrpcEnvelopeBytes = 1 << 20;

void DeclareFlags(cmtp::Config& config) {
  cmtp::rpc::AddServiceFlags(config);
  cmtp::redis::AddRedisFlags(config);
  config.Add("max-blob-bytes", "CMTP_MAX_BLOB_BYTES", "33816576",
             "largest message blob accepted (32 MiB + 256 KiB for the envelope)");
  config.Add("wait-replicas", "CMTP_WAIT_REPLICAS", "0",
             "replicas a Put waits for (Redis WAIT) before it answers");
  config.Add("wait-timeout-ms", "CMTP_WAIT_TIMEOUT_MS", "1000",
             "how long that wait may take before the Put fails");
  config.Add("max-batch-puts", "CMTP_MAX_BATCH_PUTS", "256",
             "most puts one PutBatch call may carry (the gateway batches MAILs)");
  config.Add("redis-connections", "CMTP_REDIS_CONNECTIONS", "32",
             "Redis connections, i.e. requests served at the same time");
}

// Flags that parse but make no sense; exits 2 like any other bad flag.
void RequireValid(const absl::Status& status) {
  if (status.ok()) return;
  std::fprintf(stderr, "%s: %s\n(see --help)\n", kProgram,
               std::string(status.message()).c_str());
  std::exit(2);
}

cmtp::mailstore::MailboxStoreOptions StoreOptionsFromFlags(const cmtp::Config& config) {
  for (const char* name :
       {"max-blob-bytes", "wait-replicas", "wait-timeout-ms", "max-batch-puts"}) {
    RequireValid(config.ValidateInt(name));
  }
  cmtp::mailstore::MailboxStoreOptions options;
  options.max_blob_bytes = config.GetInt("max-blob-bytes");
  int64_t replicas = config.GetInt("wait-replicas");
  int64_t timeout_ms = config.GetInt("wait-timeout-ms");
  int64_t batch_puts = config.GetInt("max-batch-puts");
  if (batch_puts < 1 || batch_puts > 65536) {
    RequireValid(cmtp::error::InvalidInput("--max-batch-puts must be in 1..65536"));
  }
  options.max_batch_puts = static_cast<int>(batch_puts);
  if (options.max_blob_bytes > INT_MAX - kGrpcEnvelopeBytes) {
    RequireValid(cmtp::error::InvalidInput(
        absl::StrCat("--max-blob-bytes must be at most ", INT_MAX - kGrpcEnvelopeBytes)));
  }
  if (replicas > INT_MAX || timeout_ms > INT_MAX) {
    RequireValid(
        cmtp::error::InvalidInput("--wait-replicas or --wait-timeout-ms too large"));
  }
  options.wait_replicas = static_cast<int>(replicas);
  options.wait_timeout_ms = static_cast<int>(timeout_ms);
  RequireValid(cmtp::mailstore::ValidateOptions(options));
  return options;
}

int RedisConnectionsFromFlags(const cmtp::Config& config) {
  RequireValid(config.ValidateInt("redis-connections"));
  int64_t connections = config.GetInt("redis-connections");
  if (connections < 1 || connections > 4096) {
    RequireValid(cmtp::error::InvalidInput("--redis-connections must be in 1..4096"));
  }
  return static_cast<int>(connections);
}

int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  // gRPC locks absl::Mutex many times per call; Debian's Abseil checks lock order.
  cmtp::TurnOffMutexDeadlockDetection();
  // Message bodies of up to tens of MiB arrive on many threads at once.
  cmtp::KeepLargeBuffersInTheHeap();
  cmtp::Config config(kProgram,
                      "CMTP mailstore: mailboxes of encrypted message blobs in Redis, "
                      "over gRPC.");
  DeclareFlags(config);
  config.ParseOrExit(argc, argv);
  absl::StatusOr<cmtp::rpc::ServerOptions> server_options =
      cmtp::rpc::ServerOptionsFromConfig(config, "mailstore");
  RequireValid(server_options.status());
  cmtp::mailstore::MailboxStoreOptions store_options = StoreOptionsFromFlags(config);
  const cmtp::observability::Logger& log = *server_options->logger;

  absl::StatusOr<cmtp::redis::PoolOptions> redis_options =
      cmtp::redis::PoolOptionsFromConfig(config);
  RequireValid(redis_options.status());
  cmtp::redis::PoolOptions pool_options = *redis_options;
  pool_options.size = RedisConnectionsFromFlags(config);
  // A Put may legitimately spend the whole WAIT timeout inside Redis.
  pool_options.command_timeout =
      std::max(pool_options.command_timeout,
               std::chrono::milliseconds(store_options.wait_timeout_ms + 5000));
  absl::StatusOr<std::unique_ptr<cmtp::redis::ConnectionPool>> pool =
      cmtp::redis::ConnectionPool::Create(pool_options);
  if (!pool.ok()) {
    log.Error("cannot use redis", {{"error", pool.status().message()}});
    return 2;
  }
  cmtp::redis::ConnectionPool& redis = **pool;

  cmtp::mailstore::MailboxStore store(redis, store_options, WallClockMs);
  cmtp::mailstore::MailStoreService service(store);
  log.Info("starting", {{"redis", cmtp::redis::DescribeTarget(pool_options)},
                        {"redis_connections", pool_options.size},
                        {"max_blob_bytes", store_options.max_blob_bytes},
                        {"wait_replicas", store_options.wait_replicas}});

  server_options->max_message_bytes =
      static_cast<int>(store_options.max_blob_bytes + kGrpcEnvelopeBytes);

  // One gRPC thread per Redis connection stays, idle, between requests:
  // with gRPC's default of two, a burst of puts made and ended a thread for
  // about every second request (3,705 threads for 5,000 puts).
  server_options->sync_max_pollers = pool_options.size;
  server_options->sync_min_pollers = std::max(1, pool_options.size / 8);
  server_options->readiness_probe = [&redis]() -> absl::Status {
    return redis.Command({"PING"}).status();
  };

  absl::Status run = cmtp::rpc::RunServer(*server_options, {&service});
  if (!run.ok()) {
    log.Error("cannot serve", {{"error", run.message()}});
    return 1;
  }
  return 0;
}
