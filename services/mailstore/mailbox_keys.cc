#include "services/mailstore/mailbox_keys.h"

#include "absl/strings/str_cat.h"
#include "lib/common/strings.h"

namespace cmtp::mailstore {

MailboxKeys::MailboxKeys(std::string_view mailbox)
    : prefix_(absl::StrCat("cmtp:mbox:{", ToAbsl(mailbox), "}:")) {
  index = absl::StrCat(prefix_, "index");
  meta = absl::StrCat(prefix_, "meta");
  seq = absl::StrCat(prefix_, "seq");
}

std::string MailboxKeys::Blob(std::string_view message_id) const {
  return absl::StrCat(prefix_, "blob:", ToAbsl(message_id));
}

}  // namespace cmtp::mailstore
