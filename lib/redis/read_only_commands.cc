#include "lib/redis/read_only_commands.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace cmtp::redis {
namespace {

// Sorted, upper case. XREAD without GROUP only reads (XREADGROUP is absent). Deliberately
// short: a command missing here is merely not re-sent, while a write listed here could
// run twice.
constexpr std::array<std::string_view, 46> kReadOnly = {
    "DBSIZE",   "ECHO",      "EVALSHA_RO", "EVAL_RO",  "EXISTS",     "GET",
    "GETRANGE", "HEXISTS",   "HGET",       "HGETALL",  "HKEYS",      "HLEN",
    "HMGET",    "HSCAN",     "HSTRLEN",    "HVALS",    "INFO",       "KEYS",
    "LINDEX",   "LLEN",      "LRANGE",     "MGET",     "PING",       "PTTL",
    "SCAN",     "SCARD",     "SISMEMBER",  "SMEMBERS", "SMISMEMBER", "SSCAN",
    "STRLEN",   "TIME",      "TTL",        "TYPE",     "XLEN",       "XRANGE",
    "XREAD",    "XREVRANGE", "ZCARD",      "ZCOUNT",   "ZRANGE",     "ZRANGEBYSCORE",
    "ZRANK",    "ZREVRANGE", "ZSCAN",      "ZSCORE"};

static_assert(std::is_sorted(kReadOnly.begin(), kReadOnly.end()),
              "binary_search needs kReadOnly sorted");

std::string Upper(std::string_view word) {
  std::string out(word);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool IsReadOnlyCommand(const std::vector<std::string_view>& argv) {
  if (argv.empty()) return false;
  std::string name = Upper(argv[0]);
  if (name == "SCRIPT") {
    if (argv.size() < 2) return false;
    std::string sub = Upper(argv[1]);
    return sub == "LOAD" || sub == "EXISTS";
  }
  return std::binary_search(kReadOnly.begin(), kReadOnly.end(), std::string_view(name));
}

}  // namespace cmtp::redis
