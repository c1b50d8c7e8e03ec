// Redis access for the services: a thread-safe pool of blocking hiredis
// connections (the services are gRPC sync servers: one RPC thread holds one
// connection for the length of a call), plus Lua scripts run by EVALSHA.
#ifndef CMTP_LIB_REDIS_CLIENT_H_
#define CMTP_LIB_REDIS_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cmtp::redis {

struct Reply {
  enum class Type { kNil, kString, kInteger, kArray, kStatus };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus
  int64_t integer = 0;
  std::vector<Reply> elements;  // kArray

  bool is_nil() const { return type == Type::kNil; }
};

// Whether a command may be sent a second time, on a fresh connection, after
// the connection broke under it. The first send may have executed with only
// its reply lost, so only commands whose second execution changes nothing
// may be re-sent; writes are never re-sent unless the caller vouches for them.
enum class Retry {
  kIfReadOnly,  // re-sent only when every command is a known read-only one
  kSafe,        // the caller vouches that running it twice equals running it once
  kNever,
};

// The interface services depend on; tests of cores use a real Redis through
// ConnectionPool, never a fake.
//
// Errors: Redis unreachable, a broken connection or a timeout give
// Unavailable; error replies give Internal("redis: <text>"), except the
// transient ones (LOADING, BUSY, MASTERDOWN, TRYAGAIN, CLUSTERDOWN, READONLY,
// MISCONF, NOREPLICAS, OOM), which give Unavailable("redis: <text>") because
// retrying later may succeed. A connection taken from the pool is checked for
// a close by Redis (restart, idle timeout) before use and replaced if needed.
// A connection whose server answered READONLY, LOADING or MASTERDOWN (not, or
// not yet, a usable master) is dropped, with the idle ones, so the next call
// connects afresh (and, with Sentinel, finds the master again).
class Client {
 public:
  virtual ~Client() = default;
  // Sends one command; same as Command(argv, Retry::kIfReadOnly).
  virtual absl::StatusOr<Reply> Command(const std::vector<std::string_view>& argv) = 0;
  // Sends several commands on one connection, in order, as one round trip;
  // same as Pipeline(commands, Retry::kIfReadOnly). Every reply is read; the
  // first error reply becomes the result.
  virtual absl::StatusOr<std::vector<Reply>> Pipeline(
      const std::vector<std::vector<std::string_view>>& commands) = 0;

  // As above, with an explicit re-send policy (see Retry).
  virtual absl::StatusOr<Reply> Command(const std::vector<std::string_view>& argv,
                                        Retry retry) {
    (void)retry;
    return Command(argv);
  }
  virtual absl::StatusOr<std::vector<Reply>> Pipeline(
      const std::vector<std::vector<std::string_view>>& commands, Retry retry) {
    (void)retry;
    return Pipeline(commands);
  }
};

struct PoolOptions {
  std::string address = "127.0.0.1:6379";  // host:port; not used with sentinels
  int size = 16;
  // Connecting, and the whole exchange with a Sentinel, each take at most this.
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{10000};
  std::string password;  // AUTH to Redis (not to the sentinels) when not empty

  // Sentinel mode when not empty: "host:port" of each Sentinel. Every new
  // connection asks them in turn (SENTINEL get-master-addr-by-name) for the
  // master called `master_name`, connects to the address named and keeps the
  // connection only when ROLE says "master"; otherwise it asks the next one.
  // When none leads to a master (a failover in progress, every sentinel
  // down), the call fails at once with Unavailable naming what each sentinel
  // said: one round over the list, no sleeping, no waiting for the failover.
  // A connection whose server answered READONLY, LOADING or MASTERDOWN on
  // every command sent (nothing ran) is dropped and the call sent once more
  // on a new connection, whatever its Retry policy.
  std::vector<std::string> sentinels;
  std::string master_name;  // required with sentinels
};

class ConnectionPool : public Client {
 public:
  // Does not connect eagerly: connections are made on first use, so a
  // service can start before Redis and become ready when it appears.
  static absl::StatusOr<std::unique_ptr<ConnectionPool>> Create(
      const PoolOptions& options);
  ~ConnectionPool() override;

  absl::StatusOr<Reply> Command(const std::vector<std::string_view>& argv) override;
  absl::StatusOr<std::vector<Reply>> Pipeline(
      const std::vector<std::vector<std::string_view>>& commands) override;
  absl::StatusOr<Reply> Command(const std::vector<std::string_view>& argv,
                                Retry retry) override;
  absl::StatusOr<std::vector<Reply>> Pipeline(
      const std::vector<std::vector<std::string_view>>& commands, Retry retry) override;

 private:
  class Impl;
  explicit ConnectionPool(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A Lua script run by EVALSHA. The SHA is learnt lazily with SCRIPT LOAD on
// the first run (Redis computes it; no SHA-1 code here), and when Redis
// answers NOSCRIPT (after a restart, a failover or SCRIPT FLUSH) the script is
// re-sent once with EVAL, which also caches it again. Thread-safe.
//
// `retry` says whether the script may be re-sent after a broken connection
// (Retry::kSafe only for scripts whose second run changes nothing); the
// default never re-sends. Retry::kIfReadOnly never re-sends a script either.
class Script {
 public:
  explicit Script(std::string source, Retry retry = Retry::kNever);
  absl::StatusOr<Reply> Run(Client& client, const std::vector<std::string_view>& keys,
                            const std::vector<std::string_view>& args) const;
  // Runs the script and then `then` on the same connection, as one round trip
  // (e.g. a WAIT that must follow a write on its connection). Replies come in
  // order, the script's first.
  absl::StatusOr<std::vector<Reply>> RunThen(
      Client& client, const std::vector<std::string_view>& keys,
      const std::vector<std::string_view>& args,
      const std::vector<std::vector<std::string_view>>& then) const;
  // The hex SHA-1 Redis reported; empty until the first run loaded it.
  std::string sha1() const;
  const std::string& source() const { return source_; }

 private:
  absl::StatusOr<std::string> LoadedSha1(Client& client) const;

  // The SHA Redis reported, shared by copies of the script (same source, same
  // SHA) so that a Script stays copyable.
  struct Sha1Cache;

  std::string source_;
  Retry retry_;
  std::shared_ptr<Sha1Cache> sha1_cache_;
};

// True when `status` came from a Redis error reply whose first word is `code`
// (e.g. "NOSCRIPT", "WRONGTYPE").
bool IsRedisError(const absl::Status& status, std::string_view code);

// "redis at HOST:PORT" or "redis master \"NAME\" via sentinels A,B,C": what
// the pool talks to, for logs and error messages.
std::string DescribeTarget(const PoolOptions& options);

// "host:port" → (host, port), InvalidArgument otherwise.
absl::StatusOr<std::pair<std::string, int>> ParseHostPort(std::string_view address);

}  // namespace cmtp::redis

#endif  // CMTP_LIB_REDIS_CLIENT_H_
