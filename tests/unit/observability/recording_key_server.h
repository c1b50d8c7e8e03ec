// A stand-in cmtp.v1.KeyServer for the observability tests. GetAccountKey
// answers OK for "known", INTERNAL for "explode" and NOT_FOUND (naming the
// account) otherwise, logging a line and noting the current request id on the
// way. GetServerKey asks `downstream` (when set) for GetAccountKey("known"):
// a handler calling on to another service.
#ifndef CMTP_TESTS_UNIT_OBSERVABILITY_RECORDING_KEY_SERVER_H_
#define CMTP_TESTS_UNIT_OBSERVABILITY_RECORDING_KEY_SERVER_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cmtp/v1/keyserver.grpc.pb.h"
#include "lib/observability/logger.h"

namespace cmtp::testing {

class RecordingKeyServer final : public v1::KeyServer::Service {
 public:
  explicit RecordingKeyServer(const observability::Logger& logger) : logger_(logger) {}

  void set_downstream(std::unique_ptr<v1::KeyServer::Stub> downstream) {
    downstream_ = std::move(downstream);
  }

  grpc::Status GetAccountKey(grpc::ServerContext* context,
                             const v1::GetAccountKeyRequest* request,
                             v1::KeyBlockResponse* response) override;
  grpc::Status GetServerKey(grpc::ServerContext* context,
                            const v1::GetServerKeyRequest* request,
                            v1::KeyBlockResponse* response) override;

  // The current request id each handler saw, in call order.
  std::vector<std::string> seen_request_ids() const;

 private:
  void Note(const std::string& request_id);

  const observability::Logger& logger_;
  std::unique_ptr<v1::KeyServer::Stub> downstream_;
  mutable std::mutex mutex_;
  std::vector<std::string> seen_request_ids_;
};

}  // namespace cmtp::testing

#endif  // CMTP_TESTS_UNIT_OBSERVABILITY_RECORDING_KEY_SERVER_H_
