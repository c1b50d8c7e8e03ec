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

// The interface services depend on; tests of cores use a real Redis through
// ConnectionPool, never a fake.
class Client {
 public:
  virtual ~Client() = default;
  // Sends one command. Connection problems give Unavailable (after one
  // reconnect attempt); a Redis error reply gives Internal with its text.
  virtual absl::StatusOr<Reply> Command(const std::vector<std::string_view>& argv) = 0;
  // Sends several commands on one connection, in order, as one round trip.
  virtual absl::StatusOr<std::vector<Reply>> Pipeline(
      const std::vector<std::vector<std::string_view>>& commands) = 0;
};

struct PoolOptions {
  std::string address = "127.0.0.1:6379";  // host:port
  int size = 16;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{10000};
  std::string password;  // AUTH when not empty
};

class ConnectionPool : public Client {
 public:
  // Does not connect eagerly: connections are made on first use, so a
  // service can start before Redis and become ready when it appears.
  static absl::StatusOr<std::unique_ptr<ConnectionPool>> Create(const PoolOptions& options);
  ~ConnectionPool() override;

  absl::StatusOr<Reply> Command(const std::vector<std::string_view>& argv) override;
  absl::StatusOr<std::vector<Reply>> Pipeline(
      const std::vector<std::vector<std::string_view>>& commands) override;

 private:
  class Impl;
  explicit ConnectionPool(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A Lua script, loaded by SHA and re-sent with EVAL when Redis answers
// NOSCRIPT (after a restart or a failover).
class Script {
 public:
  explicit Script(std::string source);
  absl::StatusOr<Reply> Run(Client& client, const std::vector<std::string_view>& keys,
                            const std::vector<std::string_view>& args) const;
  const std::string& sha1() const { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;  // hex SHA-1 of source_, as Redis computes it
};

// "host:port" → (host, port), InvalidArgument otherwise.
absl::StatusOr<std::pair<std::string, int>> ParseHostPort(std::string_view address);

}  // namespace cmtp::redis

#endif  // CMTP_LIB_REDIS_CLIENT_H_
