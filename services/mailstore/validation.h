// Checks on what callers hand the mailstore, done before anything reaches
// Redis so that a refused request leaves nothing behind.
#ifndef CMTP_SERVICES_MAILSTORE_VALIDATION_H_
#define CMTP_SERVICES_MAILSTORE_VALIDATION_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"

namespace cmtp::mailstore {

// Non-empty, at most 255 bytes, without NUL, '{', '}' or ':' (which would
// break the hash tag or the key layout). InvalidInput otherwise.
absl::Status ValidateMailbox(std::string_view mailbox);
// 32 lowercase hex characters (wire::IsMessageId). InvalidInput otherwise.
absl::Status ValidateMessageId(std::string_view message_id);
// A sender field as on the wire: at most 255 bytes, no NUL (may be empty).
absl::Status ValidateSenderField(std::string_view name, std::string_view value);
// Non-empty (InvalidInput) and at most `max_bytes` (LimitExceeded).
absl::Status ValidateBlob(std::string_view blob, int64_t max_bytes);

}  // namespace cmtp::mailstore

#endif  // CMTP_SERVICES_MAILSTORE_VALIDATION_H_
