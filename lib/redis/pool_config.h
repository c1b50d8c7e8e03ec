// The Redis flags every service takes, declared and read in one place so that
// every binary finds Redis the same way (one address, or the master through
// Sentinel):
//
//   cmtp::Config config(...);
//   cmtp::redis::AddRedisFlags(config);  // --redis, --redis-sentinels, ...
//   config.ParseOrExit(argc, argv);
//   absl::StatusOr<cmtp::redis::PoolOptions> options =
//       cmtp::redis::PoolOptionsFromConfig(config);  // InvalidArgument: exit 2
//   ... set options->size / command_timeout as the service needs ...
//   auto pool = cmtp::redis::ConnectionPool::Create(*options);
#ifndef CMTP_LIB_REDIS_POOL_CONFIG_H_
#define CMTP_LIB_REDIS_POOL_CONFIG_H_

#include "absl/status/statusor.h"
#include "lib/common/config.h"
#include "lib/redis/client.h"

namespace cmtp::redis {

// Declares --redis (CMTP_REDIS), --redis-sentinels (CMTP_REDIS_SENTINELS),
// --redis-master-name (CMTP_REDIS_MASTER_NAME) and --redis-password
// (CMTP_REDIS_PASSWORD).
void AddRedisFlags(Config& config);

// PoolOptions from those flags: `address` from --redis, or, when
// --redis-sentinels (comma-separated host:port) is not empty, `sentinels` and
// `master_name`; `password` from --redis-password. Size and timeouts keep
// their defaults. InvalidArgument for a malformed address or an empty master
// name with sentinels.
absl::StatusOr<PoolOptions> PoolOptionsFromConfig(const Config& config);

}  // namespace cmtp::redis

#endif  // CMTP_LIB_REDIS_POOL_CONFIG_H_
