// How the gateway groups its Puts to the mailstore (put_batcher.h); set by
// the --mailstore-batch-* flags.
#ifndef CMTP_SERVICES_GATEWAY_PUT_BATCHING_OPTIONS_H_
#define CMTP_SERVICES_GATEWAY_PUT_BATCHING_OPTIONS_H_

#include <cstdint>

namespace cmtp::gateway {

struct PutBatchingOptions {
  // PutBatch calls out at the same time; 0: no batching, one Put per message.
  int max_in_flight = 2;
  // Messages per call; at most the mailstore's --max-batch-puts (256 by default).
  int max_puts = 64;
  // Blob bytes per call; a larger message goes at once in a Put of its own,
  // not counted in max_in_flight.
  int64_t max_bytes = 1 << 20;
};

}  // namespace cmtp::gateway

#endif  // CMTP_SERVICES_GATEWAY_PUT_BATCHING_OPTIONS_H_
