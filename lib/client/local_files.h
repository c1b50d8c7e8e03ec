// Small file helpers for the CLIs' local state (state folder, pins, keys,
// attachments): whole-file reads and atomic, private writes, so a crash never
// leaves a half-written xzibit or pins file behind.
#ifndef CMTP_LIB_CLIENT_LOCAL_FILES_H_
#define CMTP_LIB_CLIENT_LOCAL_FILES_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cmtp::client {

// InvalidArgument naming the path when it cannot be read.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// nullopt when the file does not exist; an error for any other failure.
absl::StatusOr<std::optional<std::string>> ReadFileIfExists(const std::string& path);

// Writes to a temporary file beside `path` with `mode`, syncs it, and renames
// it over `path`.
absl::Status WriteFileAtomically(const std::string& path, std::string_view bytes,
                                 mode_t mode = 0600);

// Creates the folder (and missing parents) with `mode` if it does not exist.
absl::Status EnsureDirectory(const std::string& path, mode_t mode = 0700);

}  // namespace cmtp::client

#endif  // CMTP_LIB_CLIENT_LOCAL_FILES_H_
