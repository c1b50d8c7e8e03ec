#include "services/mailstore/validation.h"

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/wire/message_id.h"

namespace cmtp::mailstore {
namespace {

constexpr size_t kMaxNameBytes = 255;

}  // namespace

absl::Status ValidateMailbox(std::string_view mailbox) {
  if (mailbox.empty()) return error::InvalidInput("mailbox name is empty");
  if (mailbox.size() > kMaxNameBytes) {
    return error::InvalidInput(absl::StrCat("mailbox name is ", mailbox.size(),
                                            " bytes, more than ", kMaxNameBytes));
  }
  if (mailbox.find_first_of(std::string_view("\0{}:", 4)) != std::string_view::npos) {
    return error::InvalidInput("mailbox name contains NUL, '{', '}' or ':'");
  }
  return absl::OkStatus();
}

absl::Status ValidateMessageId(std::string_view message_id) {
  if (!wire::IsMessageId(message_id)) {
    return error::InvalidInput("message id is not 32 lowercase hex characters");
  }
  return absl::OkStatus();
}

absl::Status ValidateSenderField(std::string_view name, std::string_view value) {
  if (value.size() > kMaxNameBytes) {
    return error::InvalidInput(absl::StrCat(ToAbsl(name), " is ", value.size(),
                                            " bytes, more than ", kMaxNameBytes));
  }
  if (value.find('\0') != std::string_view::npos) {
    return error::InvalidInput(absl::StrCat(ToAbsl(name), " contains NUL"));
  }
  return absl::OkStatus();
}

absl::Status ValidateBlob(std::string_view blob, int64_t max_bytes) {
  if (blob.empty()) return error::InvalidInput("message blob is empty");
  if (static_cast<uint64_t>(blob.size()) > static_cast<uint64_t>(max_bytes)) {
    return error::LimitExceeded(absl::StrCat(
        "message blob is ", blob.size(), " bytes, more than the limit of ", max_bytes));
  }
  return absl::OkStatus();
}

}  // namespace cmtp::mailstore
