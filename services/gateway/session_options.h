// Per-connection limits and timeouts, shared by every session of a listener.
#ifndef CMTP_SERVICES_GATEWAY_SESSION_OPTIONS_H_
#define CMTP_SERVICES_GATEWAY_SESSION_OPTIONS_H_

#include <chrono>

#include "lib/wire/limits.h"

namespace cmtp::gateway {

struct SessionOptions {
  wire::Limits limits;
  // No complete command (and, inside a MAIL payload, no byte) for this long:
  // the connection is closed.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(300);
  // The longest a connection may live, busy or not.
  std::chrono::milliseconds session_timeout = std::chrono::seconds(3600);
  // After the server's last reply (OBAI, a broken stream) it stops sending
  // and discards what the peer still sends for at most this long, so the
  // peer reads that reply instead of a connection reset.
  std::chrono::milliseconds linger = std::chrono::seconds(2);
};

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_SESSION_OPTIONS_H_
