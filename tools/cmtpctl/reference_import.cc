#include "tools/cmtpctl/reference_import.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "lib/client/local_files.h"
#include "lib/client/message_bytes.h"
#include "lib/common/errors.h"
#include "lib/crypto/sodium.h"
#include "lib/crypto/xzibit.h"
#include "lib/wire/message_id.h"

namespace cmtp::ctl {
namespace {

namespace fs = std::filesystem;

constexpr char kPublicKeyFile[] = "public.key";

// The regular files of a folder, sorted, so imports and reports are stable.
std::vector<fs::path> RegularFiles(const fs::path& dir, std::error_code& error) {
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    // symlink_status: a link planted in the folder is not followed.
    if (fs::is_regular_file(it->symlink_status())) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

absl::StatusOr<ReferenceMessage> ReadMessage(const fs::path& path,
                                             const std::string& user) {
  absl::StatusOr<std::string> bytes = client::ReadWholeFile(path.string());
  if (!bytes.ok()) return bytes.status();
  absl::StatusOr<client::ParsedMessageBytes> parsed =
      client::ParseMessageBytes(*bytes, wire::Limits{});
  if (!parsed.ok()) return parsed.status();
  if (parsed->trailing_bytes != 0 && parsed->trailing_bytes != kProofOfWorkTrailerBytes) {
    return error::InvalidInput(
        absl::StrCat(parsed->trailing_bytes, " unexpected bytes after the message"));
  }
  if (parsed->message.header.dst_account != user) {
    return error::InvalidInput(absl::StrCat(
        "addressed to ", parsed->message.header.dst_account, ", not to ", user));
  }
  ReferenceMessage message;
  message.path = path.string();
  message.id = wire::MessageId(parsed->message);
  message.message = std::move(parsed->message);
  return message;
}

// One mail/<user>/ folder. Returns nullopt (with the reason in `skipped`)
// when the user cannot be imported at all.
std::optional<ReferenceUser> ScanUser(const fs::path& folder,
                                      std::vector<SkippedFile>& skipped) {
  ReferenceUser user;
  user.name = folder.filename().string();
  std::error_code error;
  std::vector<fs::path> files = RegularFiles(folder, error);
  if (error) {
    skipped.push_back({folder.string(), absl::StrCat("cannot list: ", error.message())});
    return std::nullopt;
  }
  const std::string xzibit_name = user.name + ".xzibit";
  auto is_named = [](const fs::path& file, const std::string& name) {
    return file.filename() == name;
  };
  auto key_file = std::find_if(files.begin(), files.end(), [&](const fs::path& f) {
    return is_named(f, kPublicKeyFile);
  });
  if (key_file == files.end()) {
    skipped.push_back({folder.string(), "no public.key: not a user folder"});
    return std::nullopt;
  }
  absl::StatusOr<std::string> key = client::ReadWholeFile(key_file->string());
  if (!key.ok() || key->size() != crypto::kPublicKeySize) {
    skipped.push_back({key_file->string(), key.ok()
                                               ? "public.key is not 32 bytes"
                                               : std::string(key.status().message())});
    return std::nullopt;
  }
  user.public_key = std::move(*key);

  auto xzibit_file = std::find_if(files.begin(), files.end(), [&](const fs::path& f) {
    return is_named(f, xzibit_name);
  });
  if (xzibit_file != files.end()) {
    absl::StatusOr<std::string> xzibit = client::ReadWholeFile(xzibit_file->string());
    absl::Status valid =
        xzibit.ok() ? crypto::InspectXzibit(*xzibit).status() : xzibit.status();
    if (!valid.ok()) {
      skipped.push_back(
          {xzibit_file->string(), absl::StrCat("unusable xzibit: ", valid.message())});
      return std::nullopt;
    }
    user.xzibit = std::move(*xzibit);
  }

  for (const fs::path& file : files) {
    if (is_named(file, kPublicKeyFile) || is_named(file, xzibit_name)) continue;
    absl::StatusOr<ReferenceMessage> message = ReadMessage(file, user.name);
    if (!message.ok()) {
      skipped.push_back(
          {file.string(), absl::StrCat("not a message: ", message.status().message())});
      continue;
    }
    user.messages.push_back(std::move(*message));
  }
  return user;
}

}  // namespace

absl::StatusOr<ReferenceScan> ScanReferenceFolder(const std::string& dir) {
  const fs::path mail = fs::path(dir) / "mail";
  std::error_code error;
  if (!fs::is_directory(mail, error)) {
    return error::InvalidInput(
        absl::StrCat(dir, " is not a reference data folder (no mail/ inside)"));
  }
  ReferenceScan scan;
  std::vector<fs::path> folders;
  for (fs::directory_iterator it(mail, error), end; !error && it != end;
       it.increment(error)) {
    if (fs::is_directory(it->symlink_status())) {
      folders.push_back(it->path());
    } else {
      scan.skipped.push_back({it->path().string(), "not a user folder"});
    }
  }
  if (error) {
    return error::InvalidInput(
        absl::StrCat("cannot list ", mail.string(), ": ", error.message()));
  }
  std::sort(folders.begin(), folders.end());
  for (const fs::path& folder : folders) {
    std::optional<ReferenceUser> user = ScanUser(folder, scan.skipped);
    if (user.has_value()) scan.users.push_back(std::move(*user));
  }
  return scan;
}

}  // namespace cmtp::ctl
