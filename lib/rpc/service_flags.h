// The flags every gRPC service binary shares, declared and read in one place
// (like lib/redis/pool_config.h): where it listens, the port files, the
// plaintext health port, TLS, metrics and logs.
//
//   cmtp::rpc::AddServiceFlags(config);
//   config.ParseOrExit(argc, argv);
//   absl::StatusOr<ServerOptions> server = ServerOptionsFromConfig(config, "mailstore");
//   // exit 2 when not ok; then set what is the service's own (readiness,
//   // message size, pollers) and RunServer(*server, {&service}).
#ifndef CMTP_LIB_RPC_SERVICE_FLAGS_H_
#define CMTP_LIB_RPC_SERVICE_FLAGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "lib/common/config.h"
#include "lib/rpc/server.h"

namespace cmtp::rpc {

// Declares --listen (CMTP_LISTEN, default 127.0.0.1:0), --port-file,
// --metrics-port-file, --health-listen, the TLS server flags (tls.h) and the
// metrics and log flags (observability_flags.h).
void AddServiceFlags(Config& config);

// ServerOptions with every field those flags set, the logger included (for
// the service's own log lines). InvalidInput naming the flag for unreadable
// TLS files, an unknown log format or level, or a malformed metrics address.
absl::StatusOr<ServerOptions> ServerOptionsFromConfig(const Config& config,
                                                      const std::string& service_name);

}  // namespace cmtp::rpc

#endif  // CMTP_LIB_RPC_SERVICE_FLAGS_H_
