#include "lib/observability/grpc_server_interceptor.h"

#include <grpcpp/support/interceptor.h>
#include <grpcpp/support/status.h>

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "lib/observability/request_id.h"

namespace cmtp::observability {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::InterceptorBatchMethods;

constexpr char kUnknown[] = "unknown";

// "/cmtp.v1.MailStore/Put" → {"cmtp.v1.MailStore", "Put"}. gRPC gives the
// method of a registered service, or a fixed name for anything else, which
// lands here as "unknown".
struct MethodName {
  std::string service = kUnknown;
  std::string method = kUnknown;
};

MethodName SplitMethod(std::string_view full_name) {
  MethodName name;
  if (full_name.size() < 4 || full_name.front() != '/') return name;
  const size_t slash = full_name.find('/', 1);
  if (slash == std::string_view::npos || slash == 1 || slash + 1 == full_name.size()) {
    return name;
  }
  name.service = std::string(full_name.substr(1, slash - 1));
  name.method = std::string(full_name.substr(slash + 1));
  return name;
}

std::string CodeName(grpc::StatusCode code) {
  // gRPC's and Abseil's codes are the same numbers with the same names.
  std::string name = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  return name.empty() ? "UNKNOWN" : name;
}

bool IsServerFailure(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DATA_LOSS:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::UNIMPLEMENTED:
      return true;
    default:
      return false;
  }
}

class GrpcServerInterceptor final : public grpc::experimental::Interceptor {
 public:
  GrpcServerInterceptor(std::string full_method, const CounterFamily& requests,
                        const HistogramFamily& durations, const Logger& logger)
      : full_method_(std::move(full_method)),
        method_(SplitMethod(full_method_)),
        requests_(requests),
        durations_(durations),
        logger_(logger),
        started_(std::chrono::steady_clock::now()) {}

  ~GrpcServerInterceptor() override {
    // An RPC that ended without a status of ours (the server shut down, or
    // the call broke off before its handler ran).
    if (!finished_) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "ended without a status"));
    }
  }

  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      AdoptRequestId(*methods->GetRecvInitialMetadata());
    }
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace(kRequestIdMetadataKey, request_id_);
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Finish(methods->GetSendStatus());
    }
    // A synchronous server runs the handler inside Proceed(), on this thread,
    // once the received metadata and message have passed the interceptors:
    // the scope makes the id current for exactly that handler.
    ScopedRequestId scope(request_id_);
    methods->Proceed();
  }

 private:
  void AdoptRequestId(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
    auto found = metadata.find(kRequestIdMetadataKey);
    if (found != metadata.end()) {
      std::string_view sent(found->second.data(), found->second.size());
      if (IsUsableRequestId(sent)) {
        request_id_ = std::string(sent);
        return;
      }
    }
    request_id_ = NewRequestId();
  }

  void Finish(const grpc::Status& status) {
    finished_ = true;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_)
            .count();
    const std::string code = CodeName(status.error_code());
    requests_.With({method_.service, method_.method, code}).Increment();
    durations_.With({method_.service, method_.method}).Observe(seconds);

    LogLevel level = LogLevel::kInfo;
    if (absl::StartsWith(method_.service, "grpc.")) {
      level = LogLevel::kDebug;
    } else if (IsServerFailure(status.error_code())) {
      level = LogLevel::kWarning;
    }
    if (!logger_.Enabled(level)) return;
    const std::string method =
        method_.service == kUnknown ? std::string(kUnknown) : full_method_;
    if (status.ok()) {
      logger_.Log(level, "rpc",
                  {{"request_id", request_id_},
                   {"method", method},
                   {"code", code},
                   {"duration_seconds", seconds}});
    } else {
      logger_.Log(level, "rpc",
                  {{"request_id", request_id_},
                   {"method", method},
                   {"code", code},
                   {"duration_seconds", seconds},
                   {"error", status.error_message()}});
    }
  }

  const std::string full_method_;
  const MethodName method_;
  const CounterFamily& requests_;
  const HistogramFamily& durations_;
  const Logger& logger_;
  const std::chrono::steady_clock::time_point started_;
  std::string request_id_;
  bool finished_ = false;
};

}  // namespace

GrpcServerInterceptorFactory::GrpcServerInterceptorFactory(Metrics& metrics,
                                                           const Logger& logger)
    : requests_(
          metrics.Counter("cmtp_grpc_server_requests_total",
                          "gRPC requests finished, by service, method and status code",
                          {"service", "method", "code"})),
      durations_(metrics.Histogram("cmtp_grpc_server_request_duration_seconds",
                                   "Time from the start of a gRPC request to its status",
                                   {"service", "method"}, Metrics::LatencyBuckets())),
      logger_(logger) {}

grpc::experimental::Interceptor* GrpcServerInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new GrpcServerInterceptor(info->method() == nullptr ? "" : info->method(),
                                   requests_, durations_, logger_);
}

}  // namespace cmtp::observability
