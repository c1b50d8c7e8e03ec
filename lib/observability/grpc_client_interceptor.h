// Passes the current request id (request_id.h) on to the services a handler
// calls: a channel with this interceptor adds `x-cmtp-request-id` with
// CurrentRequestId() to every call started on a thread that has one, unless
// the call carries an id already (AttachRequestId). rpc::MakeChannel
// installs it, so a synchronous handler calling on needs nothing more.
#ifndef CMTP_LIB_OBSERVABILITY_GRPC_CLIENT_INTERCEPTOR_H_
#define CMTP_LIB_OBSERVABILITY_GRPC_CLIENT_INTERCEPTOR_H_

#include <grpcpp/support/client_interceptor.h>

namespace cmtp::observability {

class RequestIdClientInterceptorFactory
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override;
};

}  // namespace cmtp::observability

#endif  // CMTP_LIB_OBSERVABILITY_GRPC_CLIENT_INTERCEPTOR_H_
