#include "services/relay/relay_service.h"

#include <cstdio>
#include <string>
#include <vector>

#include "lib/observability/request_id.h"
#include "lib/rpc/status.h"

namespace cmtp::relay {
namespace {

void ToProto(const QueuedMessageInfo& info, v1::QueuedMessage* message) {
  message->set_message_id(info.message_id);
  message->set_dst_account(info.dst_account);
  message->set_dst_domain(info.dst_domain);
  message->set_src_account(info.src_account);
  message->set_src_domain(info.src_domain);
  message->set_size(info.size);
  message->set_queued_unix_ms(info.queued_ms);
  message->set_next_attempt_unix_ms(info.next_attempt_ms);
  message->set_attempts(info.attempts);
  message->set_last_error(info.last_error);
}

void ToProto(const Pin& pin, v1::Pin* proto) {
  proto->set_domain(pin.domain);
  proto->set_server_public_key(pin.server_public_key);
  proto->set_pinned_unix_ms(pin.pinned_ms);
  proto->set_refused_public_key(pin.refused_public_key);
  proto->set_refused_unix_ms(pin.refused_ms);
  proto->set_refusals(pin.refusals);
}

// The request's message; the views point into `request` and `call_request_id`.
// The id the gateway gave this mail, in the request or else in the call's
// metadata: every delivery log line of the message carries it.
NewMessage FromProto(const v1::EnqueueRequest& request,
                     const std::string& call_request_id) {
  NewMessage message;
  message.message_id = request.message_id();
  message.message = request.message();
  message.dst_account = request.dst_account();
  message.dst_domain = request.dst_domain();
  message.src_account = request.src_account();
  message.src_domain = request.src_domain();
  message.request_id =
      request.request_id().empty() ? call_request_id : request.request_id();
  return message;
}

void ToProto(const EnqueueResult& queued, v1::EnqueueResponse* response) {
  response->set_duplicate(queued.duplicate);
  response->set_queued_unix_ms(queued.queued_ms);
}

void LogRefusal(const v1::EnqueueRequest& request, const absl::Status& status) {
  std::fprintf(stderr, "relay: enqueue of %s (request %s) refused: %s\n",
               request.message_id().c_str(), request.request_id().c_str(),
               std::string(status.message()).c_str());
}

}  // namespace

grpc::Status RelayService::Enqueue(grpc::ServerContext*,
                                   const v1::EnqueueRequest* request,
                                   v1::EnqueueResponse* response) {
  const std::string call_request_id = observability::CurrentRequestId();
  absl::StatusOr<EnqueueResult> queued =
      core_.Enqueue(FromProto(*request, call_request_id));
  if (!queued.ok()) {
    LogRefusal(*request, queued.status());
    return rpc::ToGrpcStatus(queued.status());
  }
  ToProto(*queued, response);
  return grpc::Status::OK;
}

grpc::Status RelayService::EnqueueBatch(grpc::ServerContext*,
                                        const v1::EnqueueBatchRequest* request,
                                        v1::EnqueueBatchResponse* response) {
  const std::string call_request_id = observability::CurrentRequestId();
  std::vector<NewMessage> messages;
  messages.reserve(request->enqueues_size());
  for (const v1::EnqueueRequest& one : request->enqueues()) {
    messages.push_back(FromProto(one, call_request_id));
  }
  absl::StatusOr<std::vector<absl::StatusOr<EnqueueResult>>> outcomes =
      core_.EnqueueMany(messages);
  if (!outcomes.ok()) return rpc::ToGrpcStatus(outcomes.status());
  response->mutable_outcomes()->Reserve(static_cast<int>(outcomes->size()));
  for (size_t i = 0; i < outcomes->size(); ++i) {
    const absl::StatusOr<EnqueueResult>& outcome = (*outcomes)[i];
    v1::EnqueueOutcome* out = response->add_outcomes();
    if (!outcome.ok()) {
      LogRefusal(request->enqueues(static_cast<int>(i)), outcome.status());
      rpc::SetOutcomeStatus(outcome.status(), *out);
      continue;
    }
    ToProto(*outcome, out->mutable_response());
  }
  return grpc::Status::OK;
}

grpc::Status RelayService::FetchKey(grpc::ServerContext*,
                                    const v1::FetchKeyRequest* request,
                                    v1::FetchKeyResponse* response) {
  absl::StatusOr<FetchedKey> key = core_.FetchKey(request->domain(), request->account());
  if (!key.ok()) return rpc::ToGrpcStatus(key.status());
  response->set_public_key(key->public_key);
  response->set_server_public_key(key->server_public_key);
  response->set_from_cache(key->from_cache);
  return grpc::Status::OK;
}

grpc::Status RelayService::ListQueue(grpc::ServerContext*,
                                     const v1::ListQueueRequest* request,
                                     v1::ListQueueResponse* response) {
  absl::StatusOr<QueueListing> listing =
      core_.ListQueue(request->domain(), request->limit());
  if (!listing.ok()) return rpc::ToGrpcStatus(listing.status());
  for (const QueuedMessageInfo& info : listing->messages) {
    ToProto(info, response->add_messages());
  }
  response->set_depth(listing->depth);
  return grpc::Status::OK;
}

grpc::Status RelayService::GetQueued(grpc::ServerContext*,
                                     const v1::GetQueuedRequest* request,
                                     v1::QueuedMessage* response) {
  absl::StatusOr<QueuedMessageInfo> info = core_.GetQueued(request->message_id());
  if (!info.ok()) return rpc::ToGrpcStatus(info.status());
  ToProto(*info, response);
  return grpc::Status::OK;
}

grpc::Status RelayService::RetryNow(grpc::ServerContext*,
                                    const v1::RetryNowRequest* request,
                                    v1::RetryNowResponse* response) {
  absl::StatusOr<uint64_t> rescheduled = core_.RetryNow(request->message_id());
  if (!rescheduled.ok()) return rpc::ToGrpcStatus(rescheduled.status());
  response->set_rescheduled(*rescheduled);
  return grpc::Status::OK;
}

grpc::Status RelayService::Drop(grpc::ServerContext*, const v1::DropRequest* request,
                                v1::DropResponse*) {
  return rpc::ToGrpcStatus(core_.Drop(request->message_id(), request->notify_sender()));
}

grpc::Status RelayService::ListPins(grpc::ServerContext*, const v1::ListPinsRequest*,
                                    v1::ListPinsResponse* response) {
  absl::StatusOr<std::vector<Pin>> pins = core_.ListPins();
  if (!pins.ok()) return rpc::ToGrpcStatus(pins.status());
  for (const Pin& pin : *pins) ToProto(pin, response->add_pins());
  return grpc::Status::OK;
}

grpc::Status RelayService::Repin(grpc::ServerContext*, const v1::RepinRequest* request,
                                 v1::RepinResponse*) {
  return rpc::ToGrpcStatus(core_.Repin(request->domain(), request->server_public_key()));
}

grpc::Status RelayService::Stats(grpc::ServerContext*, const v1::RelayStatsRequest*,
                                 v1::RelayStatsResponse* response) {
  absl::StatusOr<RelayStatsView> stats = core_.Stats();
  if (!stats.ok()) return rpc::ToGrpcStatus(stats.status());
  const StatsSnapshot& counters = stats->counters;
  response->set_queue_depth(stats->queue_depth);
  response->set_delivery_attempts_total(counters.delivery_attempts);
  response->set_deliveries_total(counters.deliveries);
  response->set_delivery_failures_total(counters.delivery_failures);
  response->set_bounces_total(counters.bounces);
  response->set_pin_refusals_total(counters.pin_refusals);
  response->set_key_fetches_total(counters.key_fetches);
  for (size_t i = 0; i < kLatencyBucketSeconds.size(); ++i) {
    response->add_latency_bucket_upper_seconds(kLatencyBucketSeconds[i]);
    response->add_latency_bucket_counts(counters.latency_cumulative[i]);
  }
  response->set_latency_sum_seconds(counters.latency_sum_seconds);
  return grpc::Status::OK;
}

}  // namespace cmtp::relay
