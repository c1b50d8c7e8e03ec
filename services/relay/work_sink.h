// Where the relay's API hands the work it queues: the delivery engine. A
// message queued through this replica can go straight to a free worker here,
// queued under a lease as if it had been claimed, instead of being queued due
// and claimed back in another round trip.
#ifndef CMTP_SERVICES_RELAY_WORK_SINK_H_
#define CMTP_SERVICES_RELAY_WORK_SINK_H_

#include <string_view>

#include "services/relay/outbound_queue.h"

namespace cmtp::relay {

class WorkSink {
 public:
  virtual ~WorkSink() = default;

  // Reserves a worker and one of `domain`'s slots for a message about to be
  // queued, when both are free here now. Every reservation ends in Hand or
  // Unreserve.
  virtual bool Reserve(std::string_view domain) = 0;
  // The reserved worker delivers `message`, queued under a lease ending at
  // message.info.next_attempt_ms.
  virtual void Hand(ClaimedMessage message) = 0;
  // The reservation is not used (the message was queued already, or not).
  virtual void Unreserve(std::string_view domain) = 0;
  // Due work may be waiting (for `domain`; empty: for any): claim it now
  // rather than at the next poll.
  virtual void Wake(std::string_view domain) = 0;
};

}  // namespace cmtp::relay

#endif  // CMTP_SERVICES_RELAY_WORK_SINK_H_
