#include "lib/redis/pool_config.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"

namespace cmtp::redis {

void AddRedisFlags(Config& config) {
  config.Add("redis", "CMTP_REDIS", "127.0.0.1:6379",
             "Redis address host:port (not used with --redis-sentinels)");
  config.Add("redis-sentinels", "CMTP_REDIS_SENTINELS", "",
             "comma-separated Sentinel addresses host:port; when set, the Redis master "
             "is found through them and found again after a failover");
  config.Add("redis-master-name", "CMTP_REDIS_MASTER_NAME", "cmtp",
             "the master's name in Sentinel (sentinel monitor NAME ...)");
  config.Add("redis-password", "CMTP_REDIS_PASSWORD", "",
             "Redis AUTH password (prefer the environment variable: flags show in ps)");
}

absl::StatusOr<PoolOptions> PoolOptionsFromConfig(const Config& config) {
  PoolOptions options;
  options.password = config.Get("redis-password");
  std::string sentinels = config.Get("redis-sentinels");
  for (absl::string_view part : absl::StrSplit(sentinels, ',')) {
    absl::string_view sentinel = absl::StripAsciiWhitespace(part);
    if (sentinel.empty()) continue;
    absl::StatusOr<std::pair<std::string, int>> parsed =
        ParseHostPort(FromAbsl(sentinel));
    if (!parsed.ok()) {
      return error::InvalidInput(
          absl::StrCat("--redis-sentinels: ", parsed.status().message()));
    }
    options.sentinels.emplace_back(sentinel);
  }
  if (options.sentinels.empty()) {
    if (!absl::StripAsciiWhitespace(sentinels).empty()) {
      return error::InvalidInput("--redis-sentinels names no sentinel");
    }
    options.address = config.Get("redis");
    absl::StatusOr<std::pair<std::string, int>> parsed = ParseHostPort(options.address);
    if (!parsed.ok()) {
      return error::InvalidInput(absl::StrCat("--redis: ", parsed.status().message()));
    }
    return options;
  }
  options.master_name = config.Get("redis-master-name");
  if (options.master_name.empty()) {
    return error::InvalidInput("--redis-master-name must not be empty with sentinels");
  }
  return options;
}

}  // namespace cmtp::redis
