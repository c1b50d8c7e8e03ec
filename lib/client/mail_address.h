// A user's address, "account@domain", as the CLIs take it and as the inner
// message and the MAIL envelope carry it.
#ifndef CMTP_LIB_CLIENT_MAIL_ADDRESS_H_
#define CMTP_LIB_CLIENT_MAIL_ADDRESS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cmtp::client {

struct MailAddress {
  std::string account;
  std::string domain;

  std::string ToString() const { return account + "@" + domain; }
  bool operator==(const MailAddress& other) const = default;
};

// Splits at the last '@'. Both parts must be non-empty, at most 255 bytes
// (a wire str), without NUL, whitespace or control characters.
absl::StatusOr<MailAddress> ParseMailAddress(std::string_view text);

}  // namespace cmtp::client

#endif  // CMTP_LIB_CLIENT_MAIL_ADDRESS_H_
