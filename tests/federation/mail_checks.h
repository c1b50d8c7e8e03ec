// Reading what the CLIs print, for the federation tests.
#ifndef CMTP_TESTS_FEDERATION_MAIL_CHECKS_H_
#define CMTP_TESTS_FEDERATION_MAIL_CHECKS_H_

#include <string>
#include <vector>

#include "tests/federation/cli_user.h"

namespace cmtp::federation {

// `asker` fetches `address`'s key through their own server with `cmtp key`
// (pinning it), and `owner` through theirs: the two must agree.
void ExpectSameKeyThroughBothServers(const CliUser& asker, const CliUser& owner,
                                     const std::string& address);

// The "Path:" section of `cmtp read`: "domain: verdict" for each entry
// ("alpha.test: verified"); text lines as they are.
std::vector<std::string> PathVerdicts(const std::string& read_output);

std::string ReadFile(const std::string& path);

}  // namespace cmtp::federation

#endif  // CMTP_TESTS_FEDERATION_MAIL_CHECKS_H_
