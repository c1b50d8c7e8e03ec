// The keyserver's behaviour without gRPC: accounts, the server's signatures,
// the registration policy and LOGIN with its rate limits. The gRPC adapter
// (keyserver_service.h) only translates messages; tests drive this class
// directly against a real Redis.
#ifndef CMTP_SERVICES_KEYSERVER_KEYSERVER_CORE_H_
#define CMTP_SERVICES_KEYSERVER_KEYSERVER_CORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/crypto/sodium.h"
#include "lib/redis/client.h"
#include "services/keyserver/account_store.h"
#include "services/keyserver/invites.h"
#include "services/keyserver/keyserver_options.h"
#include "services/keyserver/login_rate_limiter.h"
#include "services/keyserver/registration.h"

namespace cmtp::keyserver {

struct KeyBlock {
  std::string block;       // the 102 wire bytes
  std::string public_key;  // the 32 key bytes inside
};

// First step of LOGIN, by the account's xzibit version.
struct LoginStart {
  uint32_t xzibit_version = 0;
  // v1: the xzibit and the server's signature over it.
  std::string xzibit;
  std::string signature;
  // v2: the KDF parameters the client needs to derive its login key.
  std::string salt;
  uint64_t opslimit = 0;
  uint64_t memlimit = 0;
};

// An xzibit released after a successful v2 LOGIN, signed by the server.
struct SignedXzibit {
  std::string xzibit;
  std::string signature;
};

class KeyServerCore {
 public:
  // `now_ms` is the wall clock in Unix milliseconds (injected for tests).
  KeyServerCore(redis::Client& redis, crypto::KeyPair server_key,
                KeyServerOptions options, std::function<int64_t()> now_ms);

  const std::string& server_public_key() const { return server_key_.public_key; }
  const KeyServerOptions& options() const { return options_; }

  // The server's own key block, self-signed.
  KeyBlock ServerKey() const;
  // The account's key block signed by the server; NotFound when the account
  // is absent or disabled.
  absl::StatusOr<KeyBlock> AccountKey(std::string_view account);

  // REGISTER: checks the name, the domain, the policy, the contents and the
  // proof of possession, then creates the account (consuming the invite
  // under the invite policy). Returns the creation time.
  absl::StatusOr<int64_t> Register(const Registration& request);

  // LOGIN: counted against the rate limits. NotFound for absent or disabled
  // accounts; PermissionDenied when v1 open login is off or the account has
  // no xzibit.
  absl::StatusOr<LoginStart> BeginLogin(std::string_view account, std::string_view peer);

  // LOGINPROOF of a v2 account: rate limits first, then the proof by the
  // login key over LoginSignedBytes(account, domain, challenge, server pk).
  // A wrong proof is Unauthenticated("wrong password") and stays counted.
  absl::StatusOr<SignedXzibit> CompleteLogin(std::string_view account,
                                             std::string_view challenge,
                                             std::string_view proof,
                                             std::string_view peer);

  // AUTH: the proof by the identity key over AuthSignedBytes(account,
  // domain, challenge, server pk). Disabled accounts are refused.
  absl::Status VerifyAuth(std::string_view account, std::string_view challenge,
                          std::string_view proof);

  // Operator API. CreateAccount bypasses the registration policy; with
  // `skip_proof` (imports) it still validates sizes and the xzibit, which
  // may then be missing. An empty domain means the served one;
  // created_ms == 0 means now.
  absl::StatusOr<int64_t> CreateAccount(const Registration& request, bool skip_proof,
                                        int64_t created_ms);
  absl::StatusOr<std::vector<AccountRecord>> ListAccounts();
  absl::Status SetAccountDisabled(std::string_view account, bool disabled);
  // ttl_seconds == 0 means the configured default.
  absl::StatusOr<Invite> CreateInvite(int64_t ttl_seconds);

 private:
  // The account if it exists and is enabled, else NotFound. Names that
  // cannot exist are NotFound too: the caller is looking something up.
  absl::StatusOr<AccountRecord> FindActive(std::string_view account);
  absl::StatusOr<int64_t> CheckAndCreate(const Registration& request, bool check_proof,
                                         bool allow_missing_xzibit, int64_t created_ms,
                                         std::optional<std::string_view> invite_token);
  SignedXzibit SignXzibit(const std::string& xzibit) const;

  crypto::KeyPair server_key_;
  KeyServerOptions options_;
  std::function<int64_t()> now_ms_;
  AccountStore accounts_;
  LoginRateLimiter rate_limiter_;
  redis::Client& redis_;
};

}  // namespace cmtp::keyserver

#endif  // CMTP_SERVICES_KEYSERVER_KEYSERVER_CORE_H_
