// TLS between the suite's services: PEM files (a mounted Kubernetes Secret)
// become gRPC SSL credentials. Off unless the flags name files, so a local
// `make run` stays plaintext.
//
// Servers:  --tls-cert, --tls-key [--tls-client-ca: mutual TLS, a client
//           certificate signed by that CA is then required].
// Channels: --tls-ca (verify the server) [--tls-cert/--tls-key: present a
//           client certificate] [--tls-server-name: name checked against the
//           server's certificate instead of the target's host].
// A process that is both (the relay) shares --tls-cert/--tls-key: `cmtpctl
// dev-ca` issues one certificate per service, valid for both roles.
#ifndef CMTP_LIB_RPC_TLS_H_
#define CMTP_LIB_RPC_TLS_H_

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "lib/common/config.h"

namespace cmtp::rpc {

// PEM contents, not paths: loaded once at start-up, checked there.
struct TlsServerOptions {
  std::string cert_pem;       // certificate chain; empty: plaintext
  std::string key_pem;        // its private key
  std::string client_ca_pem;  // non-empty: clients must present a cert it signed

  bool enabled() const { return !cert_pem.empty(); }
  bool mutual() const { return !client_ca_pem.empty(); }
};

struct TlsChannelOptions {
  std::string ca_pem;    // roots the server's certificate must chain to; empty: plaintext
  std::string cert_pem;  // client certificate (optional)
  std::string key_pem;   // its private key
  std::string server_name;  // overrides the name checked in the server's certificate

  bool enabled() const { return !ca_pem.empty(); }
};

// Declares --tls-cert, --tls-key and --tls-client-ca (CMTP_TLS_* env).
void AddTlsServerFlags(Config& config);
// Declares --tls-ca, --tls-cert, --tls-key and --tls-server-name.
void AddTlsChannelFlags(Config& config);

// Reads the files the flags name. InvalidInput naming the flag and the file
// when one is missing, unreadable or not PEM of the right kind, or when the
// flags do not go together (a key without a certificate, a client CA without
// a server certificate). Only the flags declared in `config` are looked at.
absl::StatusOr<TlsServerOptions> TlsServerOptionsFromConfig(const Config& config);
absl::StatusOr<TlsChannelOptions> TlsChannelOptionsFromConfig(const Config& config);

// Insecure credentials when TLS is off.
std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(
    const TlsServerOptions& options);
std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(
    const TlsChannelOptions& options);

// "plaintext", "tls" or "mutual-tls", for start-up logs.
std::string DescribeTls(const TlsServerOptions& options);
std::string DescribeTls(const TlsChannelOptions& options);

}  // namespace cmtp::rpc

#endif  // CMTP_LIB_RPC_TLS_H_
