// Sending as a user through lib/client, without the CLI's KEYREQUEST for the
// recipient (the test already holds the key): for the moments when the
// recipient's domain must not be asked anything.
#ifndef CMTP_TESTS_FEDERATION_DIRECT_MAIL_H_
#define CMTP_TESTS_FEDERATION_DIRECT_MAIL_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace cmtp::federation {

struct DirectMail {
  std::string server;  // the sender's gateway, HOST:PORT
  std::string sender;  // account@domain
  std::string password;
  std::string recipient;      // account@domain
  std::string recipient_key;  // 32 bytes
  std::string subject;
  std::string text;
};

// LOGIN (with the password), AUTH, MAIL; the message id from the verified
// SUCCESS receipt.
absl::StatusOr<std::string> SendDirect(const DirectMail& mail);

// The same for `count` messages in one session (one LOGIN: the gateway
// limits those), the text of message i ending in " i\n"; their ids in
// order, or the first error.
absl::StatusOr<std::vector<std::string>> SendDirectBatch(const DirectMail& mail,
                                                         int count);

}  // namespace cmtp::federation

#endif  // CMTP_TESTS_FEDERATION_DIRECT_MAIL_H_
