#include "services/relay/pin_store.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/crypto/sodium.h"
#include "services/relay/relay_keys.h"

namespace cmtp::relay {
namespace {

using redis::Reply;

// Pins on first use, else compares and records a refusal.
//   KEYS: pin hash, pinned-domains set
//   ARGV: offered key, now, domain
//   -> {verdict ('pinned' | 'match' | 'refused'), the pinned key}
const redis::Script& CheckScript() {
  static const redis::Script script(R"lua(#!lua
local pinned = redis.call('HGET', KEYS[1], 'pk')
if not pinned or pinned == '' then
  redis.call('HSET', KEYS[1], 'pk', ARGV[1], 'pinned_ms', ARGV[2])
  redis.call('SADD', KEYS[2], ARGV[3])
  return {'pinned', ARGV[1]}
end
if pinned == ARGV[1] then return {'match', pinned} end
redis.call('HSET', KEYS[1], 'refused_pk', ARGV[1], 'refused_ms', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'refusals', 1)
return {'refused', pinned}
)lua");
  return script;
}

//   KEYS: pin hash, pinned-domains set   ARGV: key (empty: forget), now, domain
const redis::Script& RepinScript() {
  static const redis::Script script(R"lua(#!lua flags=allow-oom
redis.call('DEL', KEYS[1])
if ARGV[1] == '' then
  redis.call('SREM', KEYS[2], ARGV[3])
  return 0
end
redis.call('HSET', KEYS[1], 'pk', ARGV[1], 'pinned_ms', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return 1
)lua",
                                    redis::Retry::kSafe);
  return script;
}

absl::Status UnexpectedReply(std::string_view what) {
  return error::Internal(
      absl::StrCat("relay pins: unexpected redis reply to ", ToAbsl(what)));
}

int64_t ToInt(const std::string& text) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) return 0;
  return value;
}

std::optional<Pin> PinFromHash(std::string_view domain, const Reply& reply) {
  if (reply.type != Reply::Type::kArray || reply.elements.empty()) return std::nullopt;
  std::map<std::string, std::string> fields;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    fields[reply.elements[i].str] = reply.elements[i + 1].str;
  }
  if (fields["pk"].empty()) return std::nullopt;
  Pin pin;
  pin.domain = std::string(domain);
  pin.server_public_key = fields["pk"];
  pin.pinned_ms = ToInt(fields["pinned_ms"]);
  pin.refused_public_key = fields["refused_pk"];
  pin.refused_ms = ToInt(fields["refused_ms"]);
  pin.refusals = static_cast<uint64_t>(ToInt(fields["refusals"]));
  return pin;
}

std::string Hex8(std::string_view key) { return crypto::ToHex(key).substr(0, 8); }

}  // namespace

std::string PinRefusalMessage(std::string_view domain, std::string_view pinned,
                              std::string_view offered) {
  return absl::StrCat("server key of ", ToAbsl(domain), " changed: refused (pinned ",
                      Hex8(pinned), ", offered ", Hex8(offered),
                      "); an operator can re-pin");
}

PinStore::PinStore(redis::Client& redis, std::function<int64_t()> now_unix_ms)
    : redis_(redis), now_unix_ms_(std::move(now_unix_ms)) {
  if (!now_unix_ms_) {
    std::fprintf(stderr, "relay: PinStore needs a clock\n");
    std::abort();
  }
}

absl::StatusOr<PinCheck> PinStore::Check(std::string_view domain,
                                         std::string_view offered_key) const {
  if (offered_key.size() != crypto::kPublicKeySize) {
    return error::InvalidInput("a server key is 32 bytes");
  }
  const std::string hash = keys::Pin(domain);
  const std::string now = std::to_string(now_unix_ms_());
  absl::StatusOr<Reply> reply =
      CheckScript().Run(redis_, {hash, keys::kPinnedDomains}, {offered_key, now, domain});
  if (!reply.ok()) return reply.status();
  if (reply->type != Reply::Type::kArray || reply->elements.size() != 2) {
    return UnexpectedReply("the pin check");
  }
  PinCheck check;
  const std::string& verdict = reply->elements[0].str;
  if (verdict == "pinned") {
    check.verdict = PinVerdict::kPinnedNow;
  } else if (verdict == "match") {
    check.verdict = PinVerdict::kMatches;
  } else if (verdict == "refused") {
    check.verdict = PinVerdict::kRefused;
  } else {
    return UnexpectedReply("the pin check");
  }
  check.pinned_key = std::move(reply->elements[1].str);
  return check;
}

absl::StatusOr<std::optional<Pin>> PinStore::Get(std::string_view domain) const {
  absl::StatusOr<Reply> reply = redis_.Command({"HGETALL", keys::Pin(domain)});
  if (!reply.ok()) return reply.status();
  if (reply->type != Reply::Type::kArray) return UnexpectedReply("HGETALL");
  return PinFromHash(domain, *reply);
}

absl::StatusOr<std::vector<Pin>> PinStore::List() const {
  absl::StatusOr<Reply> members = redis_.Command({"SMEMBERS", keys::kPinnedDomains});
  if (!members.ok()) return members.status();
  if (members->type != Reply::Type::kArray) return UnexpectedReply("SMEMBERS");
  std::vector<std::string> domains;
  for (const Reply& member : members->elements) domains.push_back(member.str);
  std::sort(domains.begin(), domains.end());
  std::vector<Pin> pins;
  if (domains.empty()) return pins;
  std::vector<std::string> hashes;
  hashes.reserve(domains.size());
  for (const std::string& domain : domains) hashes.push_back(keys::Pin(domain));
  std::vector<std::vector<std::string_view>> commands;
  for (const std::string& hash : hashes) commands.push_back({"HGETALL", hash});
  absl::StatusOr<std::vector<Reply>> replies = redis_.Pipeline(commands);
  if (!replies.ok()) return replies.status();
  for (size_t i = 0; i < domains.size(); ++i) {
    std::optional<Pin> pin = PinFromHash(domains[i], (*replies)[i]);
    if (pin.has_value()) pins.push_back(*std::move(pin));
  }
  return pins;
}

absl::Status PinStore::Repin(std::string_view domain, std::string_view key) const {
  if (domain.empty()) return error::InvalidInput("which domain? (empty)");
  if (!key.empty() && key.size() != crypto::kPublicKeySize) {
    return error::InvalidInput(
        absl::StrCat("a server key is 32 bytes, not ", key.size()));
  }
  const std::string hash = keys::Pin(domain);
  const std::string now = std::to_string(now_unix_ms_());
  return RepinScript()
      .Run(redis_, {hash, keys::kPinnedDomains}, {key, now, domain})
      .status();
}

}  // namespace cmtp::relay
