// Where the CLIs get a password: the first line of a file (for scripts and
// tests) or a prompt on the controlling terminal with echo switched off.
// Never from a flag value or the environment, which other users can read.
#ifndef CMTP_LIB_CLIENT_PASSWORD_H_
#define CMTP_LIB_CLIENT_PASSWORD_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "lib/crypto/sodium.h"

namespace cmtp::client {

// The first line of the file, without its line ending ("\n" or "\r\n").
// InvalidArgument when the file cannot be read or the password is empty.
absl::StatusOr<crypto::SecretBytes> ReadPasswordFile(const std::string& path);

// Prompts on /dev/tty without echo; with `confirm`, asks twice and requires
// both answers to match. InvalidArgument when there is no terminal.
absl::StatusOr<crypto::SecretBytes> PromptPassword(std::string_view prompt, bool confirm);

// The file when `password_file` is set, else the prompt.
absl::StatusOr<crypto::SecretBytes> ObtainPassword(const std::string& password_file,
                                                   std::string_view prompt, bool confirm);

}  // namespace cmtp::client

#endif  // CMTP_LIB_CLIENT_PASSWORD_H_
