// Pinned keys of correspondents (trust on first use): the state folder's
// `pins` file, one "address key-hex" per line. A key that differs from its
// pin is refused unless the user accepts it explicitly, which turns the
// protocol's admitted key-request man-in-the-middle into a loud warning.
#ifndef CMTP_TOOLS_CMTP_PINS_H_
#define CMTP_TOOLS_CMTP_PINS_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cmtp::cli {

enum class PinStatus { kNew, kMatches, kChanged };

class PinStore {
 public:
  // A missing file is an empty store. A malformed line is an error (a pins
  // file silently losing entries would defeat its purpose).
  static absl::StatusOr<PinStore> Load(std::string path);

  // The pinned 32-byte key of `address`.
  std::optional<std::string> Find(std::string_view address) const;
  PinStatus Compare(std::string_view address, std::string_view public_key) const;
  void Pin(std::string_view address, std::string_view public_key);
  absl::Status Save() const;

  size_t size() const { return pins_.size(); }

 private:
  explicit PinStore(std::string path) : path_(std::move(path)) {}

  std::string path_;
  std::map<std::string, std::string, std::less<>> pins_;  // address -> key bytes
};

}  // namespace cmtp::cli

#endif  // CMTP_TOOLS_CMTP_PINS_H_
