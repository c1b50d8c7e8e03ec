#include "tools/cmtp/pins.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/client/local_files.h"
#include "lib/client/mail_address.h"
#include "lib/common/errors.h"
#include "lib/crypto/sodium.h"

namespace cmtp::cli {

absl::StatusOr<PinStore> PinStore::Load(std::string path) {
  PinStore store(std::move(path));
  absl::StatusOr<std::optional<std::string>> content =
      client::ReadFileIfExists(store.path_);
  if (!content.ok()) return content.status();
  if (!content->has_value()) return store;
  int line_number = 0;
  for (absl::string_view raw_line : absl::StrSplit(**content, '\n')) {
    ++line_number;
    const absl::string_view line = absl::StripAsciiWhitespace(raw_line);
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    absl::StatusOr<std::string> key = fields.size() == 2
                                          ? crypto::FromHex(fields[1])
                                          : error::InvalidInput("not two fields");
    if (!key.ok() || key->size() != crypto::kPublicKeySize ||
        !client::ParseMailAddress(fields[0]).ok()) {
      return error::InvalidInput(absl::StrCat("pins file ", store.path_, " line ",
                                              line_number,
                                              " is not \"user@domain <64 hex digits>\""));
    }
    store.pins_[fields[0]] = std::move(*key);
  }
  return store;
}

std::optional<std::string> PinStore::Find(std::string_view address) const {
  auto it = pins_.find(address);
  if (it == pins_.end()) return std::nullopt;
  return it->second;
}

PinStatus PinStore::Compare(std::string_view address, std::string_view public_key) const {
  auto it = pins_.find(address);
  if (it == pins_.end()) return PinStatus::kNew;
  return it->second == public_key ? PinStatus::kMatches : PinStatus::kChanged;
}

void PinStore::Pin(std::string_view address, std::string_view public_key) {
  pins_[std::string(address)] = std::string(public_key);
}

absl::Status PinStore::Save() const {
  const size_t slash = path_.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    if (absl::Status made = client::EnsureDirectory(path_.substr(0, slash)); !made.ok()) {
      return made;
    }
  }
  std::string content = "# cmtp pinned keys: address ed25519-public-key-hex\n";
  for (const auto& [address, key] : pins_) {
    absl::StrAppend(&content, address, " ", crypto::ToHex(key), "\n");
  }
  return client::WriteFileAtomically(path_, content);
}

}  // namespace cmtp::cli
