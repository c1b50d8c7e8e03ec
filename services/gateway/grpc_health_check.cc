#include "services/gateway/grpc_health_check.h"

#include <grpcpp/client_context.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <future>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"

namespace cmtp::gateway {
namespace {

constexpr char kCheckMethod[] = "/grpc.health.v1.Health/Check";
constexpr char kServiceFieldTag = 0x0a;  // field 1, length-delimited
constexpr char kStatusFieldTag = 0x08;   // field 1, varint
constexpr char kServing = 1;
// Service names longer than one varint byte of length are not ours to ask.
constexpr size_t kMaxServiceName = 127;

std::string EncodeRequest(const std::string& service) {
  if (service.empty()) return {};
  std::string bytes{kServiceFieldTag, static_cast<char>(service.size())};
  bytes += service;
  return bytes;
}

}  // namespace

absl::Status CheckServing(const std::shared_ptr<grpc::Channel>& channel,
                          const std::string& service, std::chrono::milliseconds timeout) {
  if (service.size() > kMaxServiceName) {
    return error::InvalidInput("health check: service name too long");
  }
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  const std::string encoded = EncodeRequest(service);
  grpc::Slice slice(encoded);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, kCheckMethod, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  const grpc::Status status = done.get_future().get();
  if (!status.ok()) {
    return error::Unavailable(
        absl::StrCat("health check failed: ", status.error_message()));
  }
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) {
    return error::Unavailable("health check: unreadable answer");
  }
  std::string bytes;
  for (const grpc::Slice& part : slices) {
    bytes.append(reinterpret_cast<const char*>(part.begin()), part.size());
  }
  if (bytes.size() == 2 && bytes[0] == kStatusFieldTag && bytes[1] == kServing) {
    return absl::OkStatus();
  }
  return error::Unavailable("not serving");
}

}  // namespace cmtp::gateway
