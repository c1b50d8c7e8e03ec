#include "lib/client/mail_address.h"

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"

namespace cmtp::client {
namespace {

constexpr size_t kMaxPartBytes = 255;  // a wire str

bool IsAcceptablePart(std::string_view part) {
  if (part.empty() || part.size() > kMaxPartBytes) return false;
  for (char c : part) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f || c == '@') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<MailAddress> ParseMailAddress(std::string_view text) {
  const size_t at = text.rfind('@');
  if (at == std::string_view::npos) {
    return error::InvalidInput(
        absl::StrCat("address \"", ToAbsl(text), "\" is not of the form user@domain"));
  }
  MailAddress address{std::string(text.substr(0, at)), std::string(text.substr(at + 1))};
  if (!IsAcceptablePart(address.account) || !IsAcceptablePart(address.domain)) {
    return error::InvalidInput(absl::StrCat(
        "address \"", ToAbsl(text),
        "\" is not of the form user@domain (1-255 printable bytes each, one '@')"));
  }
  return address;
}

}  // namespace cmtp::client
