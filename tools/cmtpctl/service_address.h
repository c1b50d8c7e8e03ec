// Where cmtpctl finds the services: an explicit address, else the port file
// that `make run` (or a service's --port-file) wrote into the state folder.
#ifndef CMTP_TOOLS_CMTPCTL_SERVICE_ADDRESS_H_
#define CMTP_TOOLS_CMTPCTL_SERVICE_ADDRESS_H_

#include <string>

#include "absl/status/statusor.h"

namespace cmtp::ctl {

// `explicit_address` when set; else "127.0.0.1:PORT" from
// `state_dir`/`port_file`. InvalidArgument naming the flag when neither is
// there.
absl::StatusOr<std::string> ResolveServiceAddress(const std::string& explicit_address,
                                                  const std::string& state_dir,
                                                  const std::string& port_file,
                                                  const std::string& flag_name);

}  // namespace cmtp::ctl

#endif  // CMTP_TOOLS_CMTPCTL_SERVICE_ADDRESS_H_
