#include "services/keyserver/account_store.h"

#include <algorithm>
#include <array>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "services/keyserver/redis_keys.h"

namespace cmtp::keyserver {
namespace {

// The hash fields, in the order HMGET asks for them.
constexpr std::array<std::string_view, 6> kFields = {"public_key",     "xzibit",
                                                     "xzibit_version", "login_public_key",
                                                     "created_ms",     "disabled"};

// KEYS: account hash, accounts set[, invite key]
// ARGV: name, public_key, xzibit, xzibit_version, login_public_key, created_ms
// The invite is checked and deleted only when the account can be created, so
// a taken name never burns a token.
const redis::Script& CreateScript() {
  static const redis::Script script(R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
if #KEYS == 3 and redis.call('EXISTS', KEYS[3]) == 0 then return 'no-invite' end
redis.call('HSET', KEYS[1],
  'public_key', ARGV[2], 'xzibit', ARGV[3], 'xzibit_version', ARGV[4],
  'login_public_key', ARGV[5], 'created_ms', ARGV[6], 'disabled', '0')
redis.call('SADD', KEYS[2], ARGV[1])
if #KEYS == 3 then redis.call('DEL', KEYS[3]) end
return 'created'
)lua");
  return script;
}

// KEYS: account hash. ARGV: '1' or '0'. A plain HSET would create a stray
// hash for an absent account.
const redis::Script& SetDisabledScript() {
  static const redis::Script script(
      R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'disabled', ARGV[1])
return 1
)lua",
      redis::Retry::kSafe);  // setting a flag twice is setting it once
  return script;
}

std::vector<std::string_view> HmgetCommand(const std::string& key) {
  std::vector<std::string_view> argv = {"HMGET", key};
  argv.insert(argv.end(), kFields.begin(), kFields.end());
  return argv;
}

// Turns an HMGET reply into a record; nullopt when the account is absent.
absl::StatusOr<std::optional<AccountRecord>> ParseAccount(std::string_view name,
                                                          const redis::Reply& reply) {
  if (reply.type != redis::Reply::Type::kArray ||
      reply.elements.size() != kFields.size()) {
    return error::Internal("unexpected HMGET reply for an account");
  }
  const auto& f = reply.elements;
  if (f[0].is_nil()) return std::nullopt;
  auto corrupt = [&](std::string_view field) {
    return error::Internal(absl::StrCat("account ", ToAbsl(name), " has a corrupt ",
                                        ToAbsl(field), " field"));
  };
  AccountRecord record;
  record.name = std::string(name);
  record.public_key = f[0].str;
  record.xzibit = f[1].str;
  if (!absl::SimpleAtoi(f[2].str, &record.xzibit_version)) return corrupt(kFields[2]);
  record.login_public_key = f[3].str;
  if (!absl::SimpleAtoi(f[4].str, &record.created_ms)) return corrupt(kFields[4]);
  if (f[5].str != "0" && f[5].str != "1") return corrupt(kFields[5]);
  record.disabled = f[5].str == "1";
  return record;
}

bool AccountWasCreated(const redis::Reply& reply) { return reply.str == "created"; }
bool AccountWasFound(const redis::Reply& reply) { return reply.integer == 1; }

}  // namespace

absl::StatusOr<redis::Reply> AccountStore::RunDurably(
    const redis::Script& script, const std::vector<std::string_view>& keys,
    const std::vector<std::string_view>& args, bool (*changed)(const redis::Reply&),
    const std::string& what) {
  if (!wait_.enabled()) return script.Run(redis_, keys, args);
  std::vector<std::string> wait = wait_.Command();
  absl::StatusOr<std::vector<redis::Reply>> replies =
      script.RunThen(redis_, keys, args, {{wait.begin(), wait.end()}});
  if (!replies.ok()) return replies.status();
  if (replies->size() != 2)
    return error::Internal("unexpected replies to a write and WAIT");
  if (changed((*replies)[0])) {
    if (absl::Status acked = CheckReplicaAck(wait_, (*replies)[1], what); !acked.ok()) {
      return acked;
    }
  }
  return std::move((*replies)[0]);
}

absl::Status AccountStore::Create(const AccountRecord& record,
                                  std::optional<std::string_view> invite_token) {
  std::string account_key = AccountKey(record.name);
  std::string invite_key;
  std::vector<std::string_view> keys = {account_key, kAccountsSetKey};
  if (invite_token.has_value()) {
    invite_key = InviteKey(*invite_token);
    keys.push_back(invite_key);
  }
  std::string version = std::to_string(record.xzibit_version);
  std::string created = std::to_string(record.created_ms);
  absl::StatusOr<redis::Reply> reply =
      RunDurably(CreateScript(), keys,
                 {record.name, record.public_key, record.xzibit, version,
                  record.login_public_key, created},
                 AccountWasCreated, absl::StrCat("account ", record.name));
  if (!reply.ok()) return reply.status();
  if (reply->str == "created") return absl::OkStatus();
  if (reply->str == "exists") {
    return error::AlreadyExists(absl::StrCat("account ", record.name, " exists already"));
  }
  if (reply->str == "no-invite") {
    return error::PermissionDenied("invite token is unknown, used or expired");
  }
  return error::Internal(
      absl::StrCat("account creation script answered \"", reply->str, "\""));
}

absl::StatusOr<AccountRecord> AccountStore::Find(std::string_view name) {
  std::string key = AccountKey(name);
  absl::StatusOr<redis::Reply> reply = redis_.Command(HmgetCommand(key));
  if (!reply.ok()) return reply.status();
  absl::StatusOr<std::optional<AccountRecord>> record = ParseAccount(name, *reply);
  if (!record.ok()) return record.status();
  if (!record->has_value()) {
    return error::NotFound(absl::StrCat("no account ", ToAbsl(name), " on this server"));
  }
  return std::move(**record);
}

absl::StatusOr<std::vector<AccountRecord>> AccountStore::List() {
  absl::StatusOr<redis::Reply> members = redis_.Command({"SMEMBERS", kAccountsSetKey});
  if (!members.ok()) return members.status();
  if (members->type != redis::Reply::Type::kArray) {
    return error::Internal("unexpected SMEMBERS reply for the account set");
  }
  std::vector<std::string> names;
  names.reserve(members->elements.size());
  for (const redis::Reply& member : members->elements) names.push_back(member.str);
  std::sort(names.begin(), names.end());

  std::vector<AccountRecord> accounts;
  if (names.empty()) return accounts;
  std::vector<std::string> keys;
  keys.reserve(names.size());
  for (const std::string& name : names) keys.push_back(AccountKey(name));
  std::vector<std::vector<std::string_view>> commands;
  commands.reserve(keys.size());
  for (const std::string& key : keys) commands.push_back(HmgetCommand(key));
  absl::StatusOr<std::vector<redis::Reply>> replies = redis_.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  if (replies->size() != names.size()) {
    return error::Internal("pipeline answered a different number of replies");
  }
  for (size_t i = 0; i < names.size(); ++i) {
    absl::StatusOr<std::optional<AccountRecord>> record =
        ParseAccount(names[i], (*replies)[i]);
    if (!record.ok()) return record.status();
    // A name without its hash cannot come from our scripts; skip rather than
    // fail the whole listing over someone's manual edit.
    if (record->has_value()) accounts.push_back(std::move(**record));
  }
  return accounts;
}

absl::Status AccountStore::SetDisabled(std::string_view name, bool disabled) {
  std::string key = AccountKey(name);
  absl::StatusOr<redis::Reply> reply = RunDurably(
      SetDisabledScript(), {key}, {disabled ? "1" : "0"}, AccountWasFound,
      absl::StrCat("account ", ToAbsl(name), disabled ? " disabled" : " enabled"));
  if (!reply.ok()) return reply.status();
  if (reply->integer == 0) {
    return error::NotFound(absl::StrCat("no account ", ToAbsl(name), " on this server"));
  }
  return absl::OkStatus();
}

}  // namespace cmtp::keyserver
