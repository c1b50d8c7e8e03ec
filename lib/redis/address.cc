#include <charconv>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/redis/client.h"

namespace cmtp::redis {

absl::StatusOr<std::pair<std::string, int>> ParseHostPort(std::string_view address) {
  auto colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return error::InvalidInput(
        absl::StrCat("expected host:port, got \"", ToAbsl(address), "\""));
  }
  std::string_view host = address.substr(0, colon);
  std::string_view port_text = address.substr(colon + 1);
  int port = 0;
  auto [ptr, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port <= 0 ||
      port > 65535) {
    return error::InvalidInput(absl::StrCat("bad port in \"", ToAbsl(address), "\""));
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::make_pair(std::string(host), port);
}

}  // namespace cmtp::redis
