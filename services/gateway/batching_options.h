// How the gateway groups its calls to a service (call_batcher.h): Puts to the
// mailstore (the --mailstore-batch-* flags) and Enqueues to the relay (the
// --relay-batch-* flags).
#ifndef CMTP_SERVICES_GATEWAY_BATCHING_OPTIONS_H_
#define CMTP_SERVICES_GATEWAY_BATCHING_OPTIONS_H_

#include <cstdint>

namespace cmtp::gateway {

struct BatchingOptions {
  // Batch calls out at the same time; 0: no batching, one call per message.
  int max_in_flight = 2;
  // Messages per call; at most what the service takes in one batch (the
  // mailstore's --max-batch-puts, the relay's --max-batch-enqueues: 256 by
  // default).
  int max_items = 64;
  // Message bytes per call; a larger message goes at once in a call of its
  // own, not counted in max_in_flight.
  int64_t max_bytes = 1 << 20;
};

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_BATCHING_OPTIONS_H_
