// Observes every RPC of a gRPC server (rpc::RunServer installs it):
//
//   - metrics: cmtp_grpc_server_requests_total{service,method,code} and the
//     histogram cmtp_grpc_server_request_duration_seconds{service,method},
//     where service is the gRPC service ("cmtp.v1.MailStore"), method its
//     method ("Put") and code the status code name ("OK", "NOT_FOUND");
//     calls to methods the server does not have count as "unknown", so a
//     client cannot add label values at will;
//   - the request id (request_id.h): taken from the call's metadata
//     `x-cmtp-request-id` or made, echoed in the response's initial metadata,
//     and the current request id of the thread while a synchronous handler
//     runs, so that handler's log lines carry it;
//   - one log line per finished RPC, msg "rpc", with method, code,
//     duration_seconds, request_id and, on failure, the status message:
//     level info, warning for codes meaning the server failed (UNKNOWN,
//     INTERNAL, UNAVAILABLE, DATA_LOSS, DEADLINE_EXCEEDED, UNIMPLEMENTED),
//     and debug for gRPC's own services (health probes, reflection).
#ifndef CMTP_LIB_OBSERVABILITY_GRPC_SERVER_INTERCEPTOR_H_
#define CMTP_LIB_OBSERVABILITY_GRPC_SERVER_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>

#include "lib/observability/labeled_family.h"
#include "lib/observability/logger.h"
#include "lib/observability/metrics.h"

namespace cmtp::observability {

class GrpcServerInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // `metrics` and `logger` must outlive the server.
  GrpcServerInterceptorFactory(Metrics& metrics, const Logger& logger);

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  CounterFamily requests_;
  HistogramFamily durations_;
  const Logger& logger_;
};

}  // namespace cmtp::observability

#endif  // CMTP_LIB_OBSERVABILITY_GRPC_SERVER_INTERCEPTOR_H_
