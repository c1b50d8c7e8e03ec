// The gRPC face of the mailstore (cmtp.v1.MailStore): each handler unpacks
// the request, calls MailboxStore, and converts the status.
#ifndef CMTP_SERVICES_MAILSTORE_MAILSTORE_SERVICE_H_
#define CMTP_SERVICES_MAILSTORE_MAILSTORE_SERVICE_H_

#include "cmtp/v1/mailstore.grpc.pb.h"
#include "services/mailstore/mailbox_store.h"

namespace cmtp::mailstore {

class MailStoreService final : public v1::MailStore::Service {
 public:
  // `store` must outlive the service.
  explicit MailStoreService(const MailboxStore& store) : store_(store) {}

  grpc::Status Put(grpc::ServerContext* context, const v1::PutRequest* request,
                   v1::PutResponse* response) override;
  grpc::Status PutBatch(grpc::ServerContext* context, const v1::PutBatchRequest* request,
                        v1::PutBatchResponse* response) override;
  grpc::Status List(grpc::ServerContext* context, const v1::ListRequest* request,
                    v1::ListResponse* response) override;
  grpc::Status Get(grpc::ServerContext* context, const v1::GetRequest* request,
                   v1::GetResponse* response) override;
  grpc::Status Delete(grpc::ServerContext* context, const v1::DeleteRequest* request,
                      v1::DeleteResponse* response) override;
  grpc::Status Stats(grpc::ServerContext* context, const v1::StatsRequest* request,
                     v1::StatsResponse* response) override;

 private:
  const MailboxStore& store_;
};

}  // namespace cmtp::mailstore

#endif  // CMTP_SERVICES_MAILSTORE_MAILSTORE_SERVICE_H_
