// Explicit, configurable limits for everything a peer can send. The parser
// checks each one as early as the bytes allow: sizes announced in a MAIL
// header are checked before any payload byte is read.
#ifndef CMTP_LIB_WIRE_LIMITS_H_
#define CMTP_LIB_WIRE_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace cmtp::wire {

struct Limits {
  size_t max_command_word = 16;       // "KEYREQUEST" is the longest command
  size_t max_str = 255;               // bytes before the NUL
  uint64_t max_log = 64 * 1024;       // MAIL log bytes
  uint64_t max_message = 32ull << 20; // body + attachments (with their u64s)
  uint32_t max_attachments = 64;
  uint32_t max_xzibit = 4096;         // REGISTER / LOGINPROOF payload
  uint32_t max_list_entries = 1'000'000;  // client side: LIST reply
};

}  // namespace cmtp::wire

#endif  // CMTP_LIB_WIRE_LIMITS_H_
