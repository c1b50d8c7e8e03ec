#include "lib/client/endpoint.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"

namespace cmtp::client {
namespace {

absl::StatusOr<uint16_t> ParsePort(std::string_view text, std::string_view whole) {
  uint32_t port = 0;
  if (text.empty() || !absl::SimpleAtoi(ToAbsl(text), &port) || port == 0 ||
      port > 65535) {
    return error::InvalidInput(
        absl::StrCat("bad port in \"", ToAbsl(whole), "\": expected 1..65535"));
  }
  return static_cast<uint16_t>(port);
}

}  // namespace

std::string Endpoint::ToString() const {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<Endpoint> ParseEndpoint(std::string_view text) {
  Endpoint endpoint;
  std::string_view port_text;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return error::InvalidInput(
          absl::StrCat("unbalanced '[' in server address \"", ToAbsl(text), "\""));
    }
    endpoint.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return error::InvalidInput(
            absl::StrCat("unexpected text after ']' in \"", ToAbsl(text), "\""));
      }
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    const size_t first_colon = text.find(':');
    if (first_colon != std::string_view::npos &&
        text.find(':', first_colon + 1) != std::string_view::npos) {
      // Several colons: an IPv6 literal. With a port it must be bracketed,
      // otherwise "::1:9001" would be ambiguous.
      endpoint.host = std::string(text);
    } else if (first_colon != std::string_view::npos) {
      endpoint.host = std::string(text.substr(0, first_colon));
      port_text = text.substr(first_colon + 1);
      has_port = true;
    } else {
      endpoint.host = std::string(text);
    }
  }
  if (endpoint.host.empty()) {
    return error::InvalidInput(
        absl::StrCat("no host in server address \"", ToAbsl(text), "\""));
  }
  if (endpoint.host.find_first_of(std::string_view(" \t\n\0", 4)) != std::string::npos) {
    return error::InvalidInput(
        absl::StrCat("bad character in server address \"", ToAbsl(text), "\""));
  }
  if (has_port) {
    absl::StatusOr<uint16_t> port = ParsePort(port_text, text);
    if (!port.ok()) return port.status();
    endpoint.port = *port;
  }
  return endpoint;
}

}  // namespace cmtp::client
