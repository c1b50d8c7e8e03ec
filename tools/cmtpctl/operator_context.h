// What every cmtpctl command works with: the parsed flags, the streams, and
// stubs for the services, connected lazily so a command that needs only one
// service does not require the others' addresses.
#ifndef CMTP_TOOLS_CMTPCTL_OPERATOR_CONTEXT_H_
#define CMTP_TOOLS_CMTPCTL_OPERATOR_CONTEXT_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cmtp/v1/keyserver.grpc.pb.h"
#include "cmtp/v1/mailstore.grpc.pb.h"
#include "cmtp/v1/relay.grpc.pb.h"
#include "tools/cmtp/command_line.h"
#include "tools/cmtp/terminal.h"

namespace cmtp::ctl {

class OperatorContext {
 public:
  OperatorContext(const cli::CommandLine& line, cli::Terminal& terminal);

  const cli::CommandLine& line() const { return line_; }
  cli::Terminal& terminal() { return terminal_; }

  absl::StatusOr<v1::KeyServer::StubInterface*> KeyServer();
  absl::StatusOr<v1::MailStore::StubInterface*> MailStore();
  absl::StatusOr<v1::Relay::StubInterface*> Relay();

  // A client context with the --timeout-seconds deadline.
  std::unique_ptr<grpc::ClientContext> NewCall() const;

 private:
  const cli::CommandLine& line_;
  cli::Terminal& terminal_;
  std::chrono::seconds timeout_;
  std::unique_ptr<v1::KeyServer::StubInterface> keyserver_;
  std::unique_ptr<v1::MailStore::StubInterface> mailstore_;
  std::unique_ptr<v1::Relay::StubInterface> relay_;
};

// grpc::Status -> absl::Status with the RPC's name in front of the message.
absl::Status RpcFailure(std::string_view rpc, const grpc::Status& status);

}  // namespace cmtp::ctl

#endif  // CMTP_TOOLS_CMTPCTL_OPERATOR_CONTEXT_H_
