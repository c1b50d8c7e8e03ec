#include "lib/observability/grpc_client_interceptor.h"

#include <grpcpp/support/interceptor.h>

#include <string>

#include "lib/observability/request_id.h"

namespace cmtp::observability {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::InterceptorBatchMethods;

class RequestIdClientInterceptor final : public grpc::experimental::Interceptor {
 public:
  // The id is read when the call is made, on the caller's thread; the
  // metadata may be sent later, from another one.
  explicit RequestIdClientInterceptor(std::string request_id)
      : request_id_(std::move(request_id)) {}

  void Intercept(InterceptorBatchMethods* methods) override {
    if (!request_id_.empty() && methods->QueryInterceptionHookPoint(
                                    InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      std::multimap<std::string, std::string>* metadata =
          methods->GetSendInitialMetadata();
      if (metadata->find(kRequestIdMetadataKey) == metadata->end()) {
        metadata->emplace(kRequestIdMetadataKey, request_id_);
      }
    }
    methods->Proceed();
  }

 private:
  const std::string request_id_;
};

}  // namespace

grpc::experimental::Interceptor*
RequestIdClientInterceptorFactory::CreateClientInterceptor(
    grpc::experimental::ClientRpcInfo*) {
  const std::string& current = CurrentRequestId();
  // No interceptor at all for calls made outside any request.
  if (current.empty()) return nullptr;
  return new RequestIdClientInterceptor(current);
}

}  // namespace cmtp::observability
