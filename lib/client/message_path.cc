#include "lib/client/message_path.h"

#include <map>

#include "absl/strings/ascii.h"
#include "lib/common/strings.h"
#include "lib/wire/message_id.h"

namespace cmtp::client {

std::vector<Hop> CheckMessagePath(const wire::MailMessage& message,
                                  const ServerKeyLookup& server_key_of) {
  const std::string message_id = wire::MessageId(message);
  // Domains compare without case; each is looked up once.
  std::map<std::string, absl::StatusOr<std::string>> keys;
  std::vector<Hop> hops;
  for (crypto::LogLine& line : crypto::ParseLogEntries(message.log())) {
    Hop hop;
    hop.text = std::move(line.text);
    hop.entry = std::move(line.entry);
    if (hop.entry.has_value()) {
      const std::string domain = absl::AsciiStrToLower(hop.entry->domain);
      auto known = keys.find(domain);
      if (known == keys.end()) {
        known = keys.emplace(domain, server_key_of(hop.entry->domain)).first;
      }
      const absl::StatusOr<std::string>& key = known->second;
      if (!key.ok()) {
        hop.verdict = HopVerdict::kNotChecked;
        hop.reason = std::string(FromAbsl(key.status().message()));
      } else if (crypto::VerifyLogEntry(*hop.entry, message_id, *key)) {
        hop.verdict = HopVerdict::kVerified;
      } else {
        hop.verdict = HopVerdict::kNotVerified;
      }
    }
    hops.push_back(std::move(hop));
  }
  return hops;
}

}  // namespace cmtp::client
