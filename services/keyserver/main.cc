// cmtp-keyserver: accounts, public keys, sealed key pairs and the server's
// own signing key, served over gRPC (cmtp.v1.KeyServer) from Redis.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "lib/common/config.h"
#include "lib/common/errors.h"
#include "lib/common/mutex_deadlock_detection.h"
#include "lib/crypto/server_key.h"
#include "lib/crypto/sodium.h"
#include "lib/redis/client.h"
#include "lib/redis/pool_config.h"
#include "lib/rpc/server.h"
#include "lib/rpc/service_flags.h"
#include "services/keyserver/keyserver_core.h"
#include "services/keyserver/keyserver_options.h"
#include "services/keyserver/keyserver_service.h"

namespace {

void DeclareFlags(cmtp::Config& config) {
  cmtp::rpc::AddServiceFlags(config);
  cmtp::redis::AddRedisFlags(config);
  config.Add("domain", "CMTP_DOMAIN", "localhost", "the one domain this server serves");
  config.Add("server-key-file", "CMTP_SERVER_KEY_FILE", "server.key",
             "server Ed25519 key (64 bytes); created if missing");
  config.Add("registration", "CMTP_REGISTRATION", "open",
             "who may register: open, invite or admin");
  config.Add("v1-open-login", "CMTP_V1_OPEN_LOGIN", "true",
             "hand v1 xzibits to anyone who asks (reference behaviour)");
  config.Add("login-attempts-per-account", "CMTP_LOGIN_ATTEMPTS_PER_ACCOUNT", "10",
             "LOGIN attempts per account per window (0: unlimited)");
  config.Add("login-attempts-per-peer", "CMTP_LOGIN_ATTEMPTS_PER_PEER", "30",
             "LOGIN attempts per peer address per window (0: unlimited)");
  config.Add("login-window-seconds", "CMTP_LOGIN_WINDOW_SECONDS", "300",
             "the LOGIN rate-limit window");
  config.Add("invite-ttl-seconds", "CMTP_INVITE_TTL_SECONDS", "604800",
             "default invite lifetime");
  config.Add("wait-replicas", "CMTP_WAIT_REPLICAS", "0",
             "replicas an account or invite write waits for (Redis WAIT) before it "
             "answers");
  config.Add("wait-timeout-ms", "CMTP_WAIT_TIMEOUT_MS", "1000",
             "how long that wait may take before the call fails");
}

// Flags that parse but make no sense; exits 2 like any other bad flag.
void RequireValid(const absl::Status& status) {
  if (status.ok()) return;
  std::fprintf(stderr, "cmtp-keyserver: %s\n(see --help)\n",
               std::string(status.message()).c_str());
  std::exit(2);
}

void RequirePositive(const cmtp::Config& config, const std::string& name) {
  RequireValid(config.ValidateInt(name));
  if (config.GetInt(name) <= 0) {
    RequireValid(
        cmtp::error::InvalidInput(absl::StrCat("--", name, " must be positive")));
  }
}

cmtp::keyserver::KeyServerOptions OptionsFromFlags(const cmtp::Config& config) {
  for (const char* name : {"login-attempts-per-account", "login-attempts-per-peer"}) {
    RequireValid(config.ValidateInt(name));
  }
  RequirePositive(config, "login-window-seconds");
  RequirePositive(config, "invite-ttl-seconds");
  for (const char* name : {"wait-replicas", "wait-timeout-ms"}) {
    RequireValid(config.ValidateInt(name));
    if (config.GetInt(name) > 1000000) {
      RequireValid(cmtp::error::InvalidInput(absl::StrCat("--", name, " is too large")));
    }
  }
  RequireValid(config.ValidateBool("v1-open-login"));
  absl::StatusOr<cmtp::keyserver::RegistrationPolicy> policy =
      cmtp::keyserver::ParseRegistrationPolicy(config.Get("registration"));
  RequireValid(policy.status());
  if (config.Get("domain").empty()) {
    RequireValid(cmtp::error::InvalidInput("--domain must not be empty"));
  }

  cmtp::keyserver::KeyServerOptions options;
  options.domain = config.Get("domain");
  options.registration = *policy;
  options.v1_open_login = config.GetBool("v1-open-login");
  options.login_limits.per_account = config.GetInt("login-attempts-per-account");
  options.login_limits.per_peer = config.GetInt("login-attempts-per-peer");
  options.login_limits.window_seconds = config.GetInt("login-window-seconds");
  options.invite_ttl_seconds = config.GetInt("invite-ttl-seconds");
  options.replica_wait.replicas = static_cast<int>(config.GetInt("wait-replicas"));
  options.replica_wait.timeout_ms = static_cast<int>(config.GetInt("wait-timeout-ms"));
  RequireValid(cmtp::keyserver::ValidateReplicaWait(options.replica_wait));
  return options;
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
  cmtp::Config config("cmtp-keyserver",
                      "CMTP keyserver: accounts, public keys, sealed key pairs and the "
                      "server key, over gRPC.");
  DeclareFlags(config);
  config.ParseOrExit(argc, argv);
  absl::StatusOr<cmtp::rpc::ServerOptions> server_options =
      cmtp::rpc::ServerOptionsFromConfig(config, "keyserver");
  RequireValid(server_options.status());
  cmtp::keyserver::KeyServerOptions options = OptionsFromFlags(config);
  absl::StatusOr<cmtp::redis::PoolOptions> pool_options =
      cmtp::redis::PoolOptionsFromConfig(config);
  RequireValid(pool_options.status());
  // An account write may spend the whole WAIT timeout inside Redis.
  pool_options->command_timeout =
      std::max(pool_options->command_timeout,
               std::chrono::milliseconds(options.replica_wait.timeout_ms + 5000));
  const cmtp::observability::Logger& log = *server_options->logger;

  cmtp::crypto::EnsureSodium();
  absl::StatusOr<cmtp::crypto::KeyPair> server_key =
      cmtp::crypto::LoadOrCreateServerKey(config.Get("server-key-file"));
  if (!server_key.ok()) {
    log.Error("cannot load the server key", {{"error", server_key.status().message()}});
    return 1;
  }

  absl::StatusOr<std::unique_ptr<cmtp::redis::ConnectionPool>> pool =
      cmtp::redis::ConnectionPool::Create(*pool_options);
  if (!pool.ok()) {
    log.Error("cannot use redis", {{"error", pool.status().message()}});
    return 2;
  }
  cmtp::redis::ConnectionPool& redis = **pool;

  cmtp::keyserver::KeyServerCore core(redis, std::move(*server_key), options,
                                      WallClockMs);
  cmtp::keyserver::KeyServerService service(core);
  log.Info("starting", {{"domain", options.domain},
                        {"registration", RegistrationPolicyName(options.registration)},
                        {"server_key", cmtp::crypto::ToHex(core.server_public_key())}});

  server_options->readiness_probe = [&redis]() -> absl::Status {
    absl::StatusOr<cmtp::redis::Reply> pong = redis.Command({"PING"});
    return pong.status();
  };

  absl::Status run = cmtp::rpc::RunServer(*server_options, {&service});
  if (!run.ok()) {
    log.Error("cannot serve", {{"error", run.message()}});
    return 1;
  }
  return 0;
}
