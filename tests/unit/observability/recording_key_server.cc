#include "tests/unit/observability/recording_key_server.h"

#include <chrono>

#include "lib/observability/request_id.h"

namespace cmtp::testing {

grpc::Status RecordingKeyServer::GetAccountKey(grpc::ServerContext*,
                                               const v1::GetAccountKeyRequest* request,
                                               v1::KeyBlockResponse* response) {
  Note(observability::CurrentRequestId());
  logger_.Info("looking up an account");
  if (request->account() == "known") {
    response->set_public_key(std::string(32, 'k'));
    return grpc::Status::OK;
  }
  if (request->account() == "explode") {
    return grpc::Status(grpc::StatusCode::INTERNAL, "the store broke");
  }
  return grpc::Status(grpc::StatusCode::NOT_FOUND, "no account " + request->account());
}

grpc::Status RecordingKeyServer::GetServerKey(grpc::ServerContext*,
                                              const v1::GetServerKeyRequest*,
                                              v1::KeyBlockResponse* response) {
  Note(observability::CurrentRequestId());
  if (downstream_ == nullptr) return grpc::Status::OK;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::GetAccountKeyRequest request;
  request.set_account("known");
  return downstream_->GetAccountKey(&context, request, response);
}

std::vector<std::string> RecordingKeyServer::seen_request_ids() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return seen_request_ids_;
}

void RecordingKeyServer::Note(const std::string& request_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  seen_request_ids_.push_back(request_id);
}

}  // namespace cmtp::testing
