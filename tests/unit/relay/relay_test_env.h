// What the relay's tests run against: real processes for each CMTP domain
// (redis-server, cmtp-keyserver, cmtp-mailstore and, for a destination,
// cmtp-gateway), a relay assembled in the test process on its own
// redis-server, a fake wall clock, and helpers to build the MAIL messages a
// gateway would queue.
#ifndef CMTP_TESTS_UNIT_RELAY_RELAY_TEST_ENV_H_
#define CMTP_TESTS_UNIT_RELAY_RELAY_TEST_ENV_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/crypto/inner_message.h"
#include "lib/crypto/sodium.h"
#include "lib/redis/client.h"
#include "services/relay/discovery.h"
#include "services/relay/grpc_local_services.h"
#include "services/relay/relay_instance.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"

namespace cmtp::relay::testing {

// A wall clock the test moves by hand; starts at a fixed, realistic time.
class FakeClock {
 public:
  int64_t Now() const { return now_ms_.load(); }
  void Advance(int64_t ms) { now_ms_ += ms; }
  std::function<int64_t()> AsFunction() {
    return [this] { return Now(); };
  }

 private:
  std::atomic<int64_t> now_ms_{1'700'000'000'000};
};

int64_t RealWallClockMs();
int64_t RealSteadyClockMs();

// One domain's services as real processes, in their own folder. Each
// service first listens on port 0 (the system picks a free port, so tests
// running side by side never race for one) and keeps that port when it is
// stopped and started again (the gateway with another server key if a test
// wants an impostor). An address is known once its service has started.
class DomainUnderTest {
 public:
  DomainUnderTest(std::string domain, std::string dir);
  ~DomainUnderTest();
  DomainUnderTest(const DomainUnderTest&) = delete;
  DomainUnderTest& operator=(const DomainUnderTest&) = delete;

  // Redis, keyserver, mailstore. False with error() on failure.
  bool Start();
  // Each service keeps its port across a stop and a start.
  bool StartMailstore();
  void StopMailstore();
  // The gateway, with the domain's current server key.
  bool StartGateway();
  void StopGateway();
  // The domain comes back with another server key (a new file): keyserver and
  // gateway are restarted with it, and server_key() is the new one. Returns
  // the new key pair.
  absl::StatusOr<crypto::KeyPair> RestartWithNewServerKey();
  // SIGSTOP / SIGCONT: a server that accepts connections and answers nothing.
  void PauseGateway();
  void ResumeGateway();
  const std::string& error() const { return error_; }

  const std::string& domain() const { return domain_; }
  const std::string& dir() const { return dir_; }
  std::string keyserver_address() const;
  std::string mailstore_address() const;
  std::string gateway_address() const;
  int gateway_port() const { return gateway_port_; }
  const crypto::KeyPair& server_key() const { return server_key_; }

  // Registers account@domain with a new identity through the keyserver's
  // Register RPC; returns the identity.
  absl::StatusOr<crypto::KeyPair> Register(const std::string& account);
  // The ids in a mailbox, in arrival order (mailstore List).
  absl::StatusOr<std::vector<std::string>> MailboxIds(const std::string& account);
  // One stored message's bytes (mailstore Get).
  absl::StatusOr<std::string> MailboxBlob(const std::string& account,
                                          const std::string& message_id);
  // The tail of a process's log, for failure messages.
  std::string LogTail(const std::string& service) const;

 private:
  bool StartKeyserver();
  // Starts service `name` and waits for its port file; a `port` of 0
  // becomes the port it bound.
  bool StartService(const std::string& name, std::vector<std::string> argv,
                    cmtp::testing::Process& process, int& port);

  std::string domain_;
  std::string dir_;
  std::string error_;
  std::string server_key_file_;
  crypto::KeyPair server_key_;
  cmtp::testing::RedisServer redis_;
  cmtp::testing::Process keyserver_;
  cmtp::testing::Process mailstore_;
  cmtp::testing::Process gateway_;
  int keyserver_port_ = 0;
  int mailstore_port_ = 0;
  int gateway_port_ = 0;
  int key_generation_ = 0;
};

// A relay for `home`'s domain, built in this process like cmtp-relay builds
// it, on a redis-server of its own.
class RelayUnderTest {
 public:
  // `static_peers`: domain -> host:port. `wall_now_ms`: the clock of the
  // queue, pins and notices.
  RelayUnderTest(DomainUnderTest& home, std::map<std::string, std::string> static_peers,
                 RelayOptions options, std::function<int64_t()> wall_now_ms);
  ~RelayUnderTest();

  // False (with error()) when Redis or discovery do not come up.
  bool Start();
  const std::string& error() const { return error_; }

  RelayInstance& relay() { return *relay_; }
  RelayCore& core() { return relay_->core(); }
  redis::Client& redis() { return *redis_pool_; }
  cmtp::testing::RedisServer& redis_server() { return redis_server_; }

 private:
  DomainUnderTest& home_;
  std::map<std::string, std::string> static_peers_;
  RelayOptions options_;
  std::function<int64_t()> wall_now_ms_;
  std::string error_;
  cmtp::testing::RedisServer redis_server_;
  std::unique_ptr<redis::ConnectionPool> redis_pool_;
  std::unique_ptr<Discovery> discovery_;
  std::unique_ptr<GrpcLocalAccounts> accounts_;
  std::unique_ptr<GrpcLocalMailboxes> mailboxes_;
  std::unique_ptr<RelayInstance> relay_;
};

// A MAIL from sender@home to recipient, as the home gateway would queue it:
// sealed to `recipient_key`, signed by the sender, with the home server's
// log entry at `accepted_ms`.
struct ForeignMail {
  std::string message_id;
  std::string bytes;
  std::string dst_account;
  std::string dst_domain;
  std::string src_account;
  std::string src_domain;

  NewMessage AsNewMessage() const;
};

absl::StatusOr<ForeignMail> MakeForeignMail(const DomainUnderTest& home,
                                            const std::string& sender_account,
                                            const crypto::KeyPair& sender,
                                            const std::string& recipient_address,
                                            const std::string& recipient_key,
                                            const std::string& text, int64_t accepted_ms);

// Opens a message from a mailbox with its owner's key pair and decodes the
// inner message. CryptoFailure when it does not open.
absl::StatusOr<crypto::DecodedInner> OpenInner(const std::string& message_bytes,
                                               const crypto::KeyPair& owner);

}  // namespace cmtp::relay::testing

#endif  // CMTP_TESTS_UNIT_RELAY_RELAY_TEST_ENV_H_
