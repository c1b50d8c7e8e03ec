#include "services/mailstore/mailstore_service.h"

#include <utility>
#include <vector>

#include "lib/rpc/status.h"

namespace cmtp::mailstore {
namespace {

void ToProto(MessageMeta meta, v1::MessageMeta& out) {
  out.set_message_id(std::move(meta.message_id));
  out.set_size(meta.size);
  out.set_arrival_unix_ms(meta.arrival_unix_ms);
  out.set_sequence(meta.sequence);
  out.set_src_account(std::move(meta.src_account));
  out.set_src_domain(std::move(meta.src_domain));
}

}  // namespace

grpc::Status MailStoreService::Put(grpc::ServerContext*, const v1::PutRequest* request,
                                   v1::PutResponse* response) {
  // The blob is handed on as a view of the request: no copy on the way to Redis.
  absl::StatusOr<PutResult> put =
      store_.Put(request->mailbox(), request->message_id(), request->blob(),
                 request->src_account(), request->src_domain());
  if (!put.ok()) return rpc::ToGrpcStatus(put.status());
  ToProto(std::move(put->meta), *response->mutable_meta());
  response->set_duplicate(put->duplicate);
  return grpc::Status::OK;
}

grpc::Status MailStoreService::PutBatch(grpc::ServerContext*,
                                        const v1::PutBatchRequest* request,
                                        v1::PutBatchResponse* response) {
  std::vector<PutItem> items;
  items.reserve(request->puts_size());
  for (const v1::PutRequest& put : request->puts()) {
    items.push_back({put.mailbox(), put.message_id(), put.blob(), put.src_account(),
                     put.src_domain()});
  }
  absl::StatusOr<std::vector<absl::StatusOr<PutResult>>> outcomes = store_.PutMany(items);
  if (!outcomes.ok()) return rpc::ToGrpcStatus(outcomes.status());
  response->mutable_outcomes()->Reserve(static_cast<int>(outcomes->size()));
  for (absl::StatusOr<PutResult>& outcome : *outcomes) {
    v1::PutOutcome* out = response->add_outcomes();
    if (!outcome.ok()) {
      rpc::SetOutcomeStatus(outcome.status(), *out);
      continue;
    }
    ToProto(std::move(outcome->meta), *out->mutable_response()->mutable_meta());
    out->mutable_response()->set_duplicate(outcome->duplicate);
  }
  return grpc::Status::OK;
}

grpc::Status MailStoreService::List(grpc::ServerContext*, const v1::ListRequest* request,
                                    v1::ListResponse* response) {
  absl::StatusOr<std::vector<MessageMeta>> metas = store_.List(request->mailbox());
  if (!metas.ok()) return rpc::ToGrpcStatus(metas.status());
  response->mutable_messages()->Reserve(static_cast<int>(metas->size()));
  for (MessageMeta& meta : *metas) ToProto(std::move(meta), *response->add_messages());
  return grpc::Status::OK;
}

grpc::Status MailStoreService::Get(grpc::ServerContext*, const v1::GetRequest* request,
                                   v1::GetResponse* response) {
  absl::StatusOr<StoredMessage> stored =
      store_.Get(request->mailbox(), request->message_id());
  if (!stored.ok()) return rpc::ToGrpcStatus(stored.status());
  ToProto(std::move(stored->meta), *response->mutable_meta());
  response->set_blob(std::move(stored->blob));
  return grpc::Status::OK;
}

grpc::Status MailStoreService::Delete(grpc::ServerContext*,
                                      const v1::DeleteRequest* request,
                                      v1::DeleteResponse*) {
  return rpc::ToGrpcStatus(store_.Delete(request->mailbox(), request->message_id()));
}

grpc::Status MailStoreService::Stats(grpc::ServerContext*,
                                     const v1::StatsRequest* request,
                                     v1::StatsResponse* response) {
  absl::StatusOr<std::vector<MailboxStats>> stats = store_.Stats(request->mailbox());
  if (!stats.ok()) return rpc::ToGrpcStatus(stats.status());
  for (MailboxStats& one : *stats) {
    v1::MailboxStats* out = response->add_mailboxes();
    out->set_mailbox(std::move(one.mailbox));
    out->set_messages(one.messages);
    out->set_bytes(one.bytes);
  }
  return grpc::Status::OK;
}

}  // namespace cmtp::mailstore
