#include "tools/cmtpctl/operator_context.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/common/strings.h"
#include "lib/rpc/server.h"
#include "lib/rpc/status.h"
#include "lib/rpc/tls.h"
#include "tools/cmtpctl/service_address.h"

namespace cmtp::ctl {
namespace {

constexpr int64_t kDefaultTimeoutSeconds = 30;

std::chrono::seconds TimeoutFrom(const cli::CommandLine& line) {
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(line.Get("timeout-seconds"), &seconds) || seconds <= 0) {
    seconds = kDefaultTimeoutSeconds;
  }
  return std::chrono::seconds(seconds);
}

// A channel to `address`, over TLS when --tls-ca names a CA.
absl::StatusOr<std::shared_ptr<grpc::Channel>> ChannelTo(const cli::CommandLine& line,
                                                         const std::string& address) {
  absl::StatusOr<rpc::TlsChannelOptions> tls =
      rpc::TlsChannelOptionsFromConfig(line.config());
  if (!tls.ok()) return tls.status();
  return rpc::MakeChannel(address, *tls);
}

}  // namespace

OperatorContext::OperatorContext(const cli::CommandLine& line, cli::Terminal& terminal)
    : line_(line), terminal_(terminal), timeout_(TimeoutFrom(line)) {}

absl::StatusOr<v1::KeyServer::StubInterface*> OperatorContext::KeyServer() {
  if (keyserver_ == nullptr) {
    absl::StatusOr<std::string> address = ResolveServiceAddress(
        line_.Get("keyserver"), line_.Get("state-dir"), "keyserver.port", "keyserver");
    if (!address.ok()) return address.status();
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ChannelTo(line_, *address);
    if (!channel.ok()) return channel.status();
    keyserver_ = v1::KeyServer::NewStub(*channel);
  }
  return keyserver_.get();
}

absl::StatusOr<v1::MailStore::StubInterface*> OperatorContext::MailStore() {
  if (mailstore_ == nullptr) {
    absl::StatusOr<std::string> address = ResolveServiceAddress(
        line_.Get("mailstore"), line_.Get("state-dir"), "mailstore.port", "mailstore");
    if (!address.ok()) return address.status();
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ChannelTo(line_, *address);
    if (!channel.ok()) return channel.status();
    mailstore_ = v1::MailStore::NewStub(*channel);
  }
  return mailstore_.get();
}

absl::StatusOr<v1::Relay::StubInterface*> OperatorContext::Relay() {
  if (relay_ == nullptr) {
    absl::StatusOr<std::string> address = ResolveServiceAddress(
        line_.Get("relay"), line_.Get("state-dir"), "relay.port", "relay");
    if (!address.ok()) return address.status();
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ChannelTo(line_, *address);
    if (!channel.ok()) return channel.status();
    relay_ = v1::Relay::NewStub(*channel);
  }
  return relay_.get();
}

std::unique_ptr<grpc::ClientContext> OperatorContext::NewCall() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout_);
  return context;
}

absl::Status RpcFailure(std::string_view rpc, const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  // A TLS mismatch shows on this side only as a closed connection (the
  // service logs the handshake error): say what to check.
  std::string hint;
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
      (absl::StrContains(status.error_message(), "Socket closed") ||
       absl::StrContains(status.error_message(), "handshake"))) {
    hint =
        " (the connection was refused during set-up: does the service want TLS "
        "(--tls-ca) or a client certificate signed by its CA (--tls-cert, --tls-key)?)";
  }
  // Named so the operator sees which call failed; the code is kept.
  return rpc::FromGrpcStatus(
      grpc::Status(status.error_code(),
                   absl::StrCat(ToAbsl(rpc), ": ", status.error_message(), hint)));
}

}  // namespace cmtp::ctl
