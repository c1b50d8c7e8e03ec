// What the mailstore knows about a stored message besides its bytes, and the
// packed form it takes as a value of the mailbox's meta hash.
#ifndef CMTP_SERVICES_MAILSTORE_MESSAGE_META_H_
#define CMTP_SERVICES_MAILSTORE_MESSAGE_META_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cmtp::mailstore {

struct MessageMeta {
  std::string message_id;
  uint64_t size = 0;  // bytes of the blob
  int64_t arrival_unix_ms = 0;
  uint64_t sequence = 0;  // arrival order within the mailbox, from 1
  std::string src_account;
  std::string src_domain;

  bool operator==(const MessageMeta&) const = default;
};

// Packed metadata: `sequence \0 size \0 arrival_unix_ms \0 src_account \0
// src_domain` (decimal numbers). NUL separates the fields because no field
// may contain one (account and domain are wire strs). The sequence comes
// first because the Put script, which draws it, prepends it to the rest.
std::string PackMetaAfterSequence(uint64_t size, int64_t arrival_unix_ms,
                                  std::string_view src_account,
                                  std::string_view src_domain);
// Internal when `packed` does not have that shape (corruption or a bug).
absl::StatusOr<MessageMeta> UnpackMeta(std::string_view message_id,
                                       std::string_view packed);

}  // namespace cmtp::mailstore

#endif  // CMTP_SERVICES_MAILSTORE_MESSAGE_META_H_
