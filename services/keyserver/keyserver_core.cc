#include "services/keyserver/keyserver_core.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/crypto/protocol_signatures.h"
#include "lib/crypto/xzibit.h"
#include "services/keyserver/account_name.h"

namespace cmtp::keyserver {
namespace {

absl::Status NoSuchAccount(std::string_view account) {
  return error::NotFound(absl::StrCat("no account ", ToAbsl(account), " on this server"));
}

}  // namespace

KeyServerCore::KeyServerCore(redis::Client& redis, crypto::KeyPair server_key,
                             KeyServerOptions options, std::function<int64_t()> now_ms)
    : server_key_(std::move(server_key)),
      options_(std::move(options)),
      now_ms_(std::move(now_ms)),
      accounts_(redis, options_.replica_wait),
      rate_limiter_(redis, options_.login_limits),
      redis_(redis) {
  crypto::EnsureSodium();
  // A key that cannot sign would make every reply unverifiable; main loads it
  // through LoadOrCreateServerKey, so this is a programming error.
  if (server_key_.public_key.size() != crypto::kPublicKeySize ||
      server_key_.secret_key.size() != crypto::kSecretKeySize) {
    std::fprintf(stderr, "keyserver: fatal: malformed server key\n");
    std::abort();
  }
  if (options_.login_limits.window_seconds <= 0 || options_.invite_ttl_seconds <= 0 ||
      !now_ms_) {
    std::fprintf(stderr, "keyserver: fatal: invalid core options\n");
    std::abort();
  }
}

KeyBlock KeyServerCore::ServerKey() const {
  return KeyBlock{
      crypto::MakeKeyBlock(server_key_.secret_key.view(), server_key_.public_key),
      server_key_.public_key};
}

absl::StatusOr<KeyBlock> KeyServerCore::AccountKey(std::string_view account) {
  absl::StatusOr<AccountRecord> record = FindActive(account);
  if (!record.ok()) return record.status();
  return KeyBlock{crypto::MakeKeyBlock(server_key_.secret_key.view(), record->public_key),
                  record->public_key};
}

absl::StatusOr<int64_t> KeyServerCore::Register(const Registration& request) {
  if (absl::Status s = ValidateAccountName(request.account); !s.ok()) return s;
  if (absl::Status s = CheckServedDomain(request.domain, options_.domain); !s.ok()) {
    return s;
  }
  std::optional<std::string_view> invite;
  switch (options_.registration) {
    case RegistrationPolicy::kOpen:
      break;
    case RegistrationPolicy::kAdminOnly:
      return error::PermissionDenied("registration is admin-only on this server");
    case RegistrationPolicy::kInvite:
      if (request.invite_token.empty()) {
        return error::PermissionDenied(
            "registration on this server needs an invite token");
      }
      // Only well-formed tokens reach a Redis key; the text does not tell a
      // malformed token from an expired one.
      if (!LooksLikeInviteToken(request.invite_token)) {
        return error::PermissionDenied("invite token is unknown, used or expired");
      }
      invite = request.invite_token;
      break;
  }
  return CheckAndCreate(request, /*check_proof=*/true, /*allow_missing_xzibit=*/false,
                        now_ms_(), invite);
}

absl::StatusOr<int64_t> KeyServerCore::CreateAccount(const Registration& request,
                                                     bool skip_proof,
                                                     int64_t created_ms) {
  if (absl::Status s = ValidateAccountName(request.account); !s.ok()) return s;
  Registration effective = request;
  if (effective.domain.empty()) {
    effective.domain = options_.domain;
  } else if (absl::Status s = CheckServedDomain(effective.domain, options_.domain);
             !s.ok()) {
    return s;
  }
  if (created_ms < 0) return error::InvalidInput("creation time must not be negative");
  if (created_ms == 0) created_ms = now_ms_();
  return CheckAndCreate(effective, /*check_proof=*/!skip_proof,
                        /*allow_missing_xzibit=*/skip_proof, created_ms, std::nullopt);
}

absl::StatusOr<int64_t> KeyServerCore::CheckAndCreate(
    const Registration& request, bool check_proof, bool allow_missing_xzibit,
    int64_t created_ms, std::optional<std::string_view> invite_token) {
  absl::StatusOr<AccountRecord> record =
      CheckRegistrationContents(request, allow_missing_xzibit);
  if (!record.ok()) return record.status();
  if (check_proof) {
    if (absl::Status s = VerifyProofOfPossession(request); !s.ok()) return s;
  }
  record->created_ms = created_ms;
  if (absl::Status s = accounts_.Create(*record, invite_token); !s.ok()) return s;
  std::fprintf(stderr, "keyserver: created account %s (xzibit v%u)\n",
               record->name.c_str(), record->xzibit_version);
  return created_ms;
}

absl::StatusOr<LoginStart> KeyServerCore::BeginLogin(std::string_view account,
                                                     std::string_view peer) {
  if (!ValidateAccountName(account).ok()) return NoSuchAccount(account);
  // Counted before the lookup: probing for names costs attempts as well.
  if (absl::Status s = rate_limiter_.Charge(account, peer); !s.ok()) return s;
  absl::StatusOr<AccountRecord> record = FindActive(account);
  if (!record.ok()) return record.status();
  if (record->xzibit.empty()) {
    return error::PermissionDenied("account has no sealed key pair on this server");
  }
  LoginStart start;
  start.xzibit_version = record->xzibit_version;
  if (record->xzibit_version == 1) {
    if (!options_.v1_open_login) {
      return error::PermissionDenied(
          "open LOGIN for v1 accounts is disabled on this server");
    }
    SignedXzibit signed_xzibit = SignXzibit(record->xzibit);
    start.xzibit = std::move(signed_xzibit.xzibit);
    start.signature = std::move(signed_xzibit.signature);
    return start;
  }
  absl::StatusOr<crypto::XzibitInfo> info = crypto::InspectXzibit(record->xzibit);
  if (!info.ok() || info->version != 2 || record->xzibit_version != 2) {
    return error::Internal(absl::StrCat("stored xzibit of ", ToAbsl(account),
                                        " does not match its recorded version"));
  }
  start.salt = std::move(info->salt);
  start.opslimit = info->opslimit;
  start.memlimit = info->memlimit;
  return start;
}

absl::StatusOr<SignedXzibit> KeyServerCore::CompleteLogin(std::string_view account,
                                                          std::string_view challenge,
                                                          std::string_view proof,
                                                          std::string_view peer) {
  if (!ValidateAccountName(account).ok()) return NoSuchAccount(account);
  if (challenge.size() != crypto::kChallengeSize) {
    return error::InvalidInput(
        absl::StrCat("a LOGIN challenge is ", crypto::kChallengeSize, " bytes"));
  }
  if (absl::Status s = rate_limiter_.Charge(account, peer); !s.ok()) return s;
  absl::StatusOr<AccountRecord> record = FindActive(account);
  if (!record.ok()) return record.status();
  if (record->xzibit.empty()) {
    return error::PermissionDenied("account has no sealed key pair on this server");
  }
  if (record->xzibit_version != 2) {
    return error::InvalidInput(
        "this account's sealed key pair is v1: LOGIN needs no proof for it");
  }
  std::string signed_bytes = crypto::LoginSignedBytes(account, options_.domain, challenge,
                                                      server_key_.public_key);
  if (!crypto::Verify(record->login_public_key, signed_bytes, proof)) {
    return error::Unauthenticated("wrong password");
  }
  if (absl::Status s = rate_limiter_.ForgiveAccount(account); !s.ok()) {
    // The login itself was proven; a counter left standing only costs the
    // owner some headroom until its window ends.
    std::fprintf(stderr, "keyserver: cannot reset the LOGIN counter of %s: %s\n",
                 std::string(account).c_str(), std::string(s.message()).c_str());
  }
  return SignXzibit(record->xzibit);
}

absl::Status KeyServerCore::VerifyAuth(std::string_view account,
                                       std::string_view challenge,
                                       std::string_view proof) {
  if (challenge.size() != crypto::kChallengeSize) {
    return error::InvalidInput(
        absl::StrCat("an AUTH challenge is ", crypto::kChallengeSize, " bytes"));
  }
  if (!ValidateAccountName(account).ok()) return NoSuchAccount(account);
  absl::StatusOr<AccountRecord> record = accounts_.Find(account);
  if (!record.ok()) return record.status();
  std::string signed_bytes = crypto::AuthSignedBytes(account, options_.domain, challenge,
                                                     server_key_.public_key);
  if (!crypto::Verify(record->public_key, signed_bytes, proof)) {
    return error::Unauthenticated("the AUTH proof does not verify");
  }
  // Checked after the proof so that only the key holder learns the state.
  if (record->disabled) return error::PermissionDenied("this account is disabled");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<AccountRecord>> KeyServerCore::ListAccounts() {
  return accounts_.List();
}

absl::Status KeyServerCore::SetAccountDisabled(std::string_view account, bool disabled) {
  if (absl::Status s = ValidateAccountName(account); !s.ok()) return s;
  if (absl::Status s = accounts_.SetDisabled(account, disabled); !s.ok()) return s;
  std::fprintf(stderr, "keyserver: account %s %s\n", std::string(account).c_str(),
               disabled ? "disabled" : "enabled");
  return absl::OkStatus();
}

absl::StatusOr<Invite> KeyServerCore::CreateInvite(int64_t ttl_seconds) {
  if (ttl_seconds < 0)
    return error::InvalidInput("an invite's lifetime must not be negative");
  if (ttl_seconds == 0) ttl_seconds = options_.invite_ttl_seconds;
  return keyserver::CreateInvite(redis_, ttl_seconds, now_ms_(), options_.replica_wait);
}

absl::StatusOr<AccountRecord> KeyServerCore::FindActive(std::string_view account) {
  if (!ValidateAccountName(account).ok()) return NoSuchAccount(account);
  absl::StatusOr<AccountRecord> record = accounts_.Find(account);
  if (!record.ok()) return record.status();
  if (record->disabled) return NoSuchAccount(account);
  return record;
}

SignedXzibit KeyServerCore::SignXzibit(const std::string& xzibit) const {
  return SignedXzibit{xzibit, crypto::Sign(server_key_.secret_key.view(), xzibit)};
}

}  // namespace cmtp::keyserver
