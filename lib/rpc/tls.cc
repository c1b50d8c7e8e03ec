#include "lib/rpc/tls.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"

namespace cmtp::rpc {
namespace {

enum class PemKind { kCertificate, kPrivateKey };

// Loads the file named by flag `name`, or "" when the flag is empty. Checks
// only the PEM armour: gRPC's own parsing happens when the server or the
// first connection starts, far from the flag, with a vaguer message.
absl::StatusOr<std::string> ReadPem(const Config& config, const std::string& name,
                                    PemKind kind) {
  std::string path = config.Get(name);
  if (path.empty()) return std::string();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return error::InvalidInput(absl::StrCat("--", name, ": cannot read ", path));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  std::string pem = contents.str();
  bool looks_right = kind == PemKind::kCertificate
                         ? absl::StrContains(pem, "-----BEGIN CERTIFICATE-----")
                         : absl::StrContains(pem, "-----BEGIN ") &&
                               absl::StrContains(pem, "PRIVATE KEY-----");
  if (!looks_right) {
    return error::InvalidInput(
        absl::StrCat("--", name, ": ", path, " is not a PEM ",
                     kind == PemKind::kCertificate ? "certificate" : "private key"));
  }
  return pem;
}

}  // namespace

void AddTlsServerFlags(Config& config) {
  config.Add("tls-cert", "CMTP_TLS_CERT", "",
             "PEM certificate chain this process presents (empty: plaintext gRPC)");
  config.Add("tls-key", "CMTP_TLS_KEY", "", "PEM private key of --tls-cert");
  config.Add("tls-client-ca", "CMTP_TLS_CLIENT_CA", "",
             "PEM CA that must have signed every client's certificate (mutual TLS)");
}

void AddTlsChannelFlags(Config& config) {
  config.Add("tls-ca", "CMTP_TLS_CA", "",
             "PEM CA the services' certificates must chain to (empty: plaintext gRPC)");
  config.Add("tls-cert", "CMTP_TLS_CERT", "",
             "PEM certificate chain this process presents (server, and client with "
             "--tls-ca)");
  config.Add("tls-key", "CMTP_TLS_KEY", "", "PEM private key of --tls-cert");
  config.Add("tls-server-name", "CMTP_TLS_SERVER_NAME", "",
             "name expected in the services' certificates instead of the host dialled");
}

absl::StatusOr<TlsServerOptions> TlsServerOptionsFromConfig(const Config& config) {
  TlsServerOptions options;
  absl::StatusOr<std::string> cert = ReadPem(config, "tls-cert", PemKind::kCertificate);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(config, "tls-key", PemKind::kPrivateKey);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> client_ca =
      ReadPem(config, "tls-client-ca", PemKind::kCertificate);
  if (!client_ca.ok()) return client_ca.status();
  if (cert->empty() != key->empty()) {
    return error::InvalidInput("--tls-cert and --tls-key go together");
  }
  if (!client_ca->empty() && cert->empty()) {
    return error::InvalidInput("--tls-client-ca needs --tls-cert and --tls-key");
  }
  options.cert_pem = *std::move(cert);
  options.key_pem = *std::move(key);
  options.client_ca_pem = *std::move(client_ca);
  return options;
}

absl::StatusOr<TlsChannelOptions> TlsChannelOptionsFromConfig(const Config& config) {
  TlsChannelOptions options;
  absl::StatusOr<std::string> ca = ReadPem(config, "tls-ca", PemKind::kCertificate);
  if (!ca.ok()) return ca.status();
  absl::StatusOr<std::string> cert = ReadPem(config, "tls-cert", PemKind::kCertificate);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(config, "tls-key", PemKind::kPrivateKey);
  if (!key.ok()) return key.status();
  if (cert->empty() != key->empty()) {
    return error::InvalidInput("--tls-cert and --tls-key go together");
  }
  if (ca->empty() && !config.Get("tls-server-name").empty()) {
    return error::InvalidInput("--tls-server-name needs --tls-ca");
  }
  options.ca_pem = *std::move(ca);
  // Without --tls-ca the channels are plaintext and a certificate (there for
  // the server side of the same process) is not presented.
  if (!options.ca_pem.empty()) {
    options.cert_pem = *std::move(cert);
    options.key_pem = *std::move(key);
  }
  options.server_name = config.Get("tls-server-name");
  return options;
}

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(
    const TlsServerOptions& options) {
  if (!options.enabled()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl(
      options.mutual() ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                       : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  ssl.pem_root_certs = options.client_ca_pem;
  ssl.pem_key_cert_pairs.push_back({options.key_pem, options.cert_pem});
  return grpc::SslServerCredentials(ssl);
}

std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(
    const TlsChannelOptions& options) {
  if (!options.enabled()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.ca_pem;
  ssl.pem_private_key = options.key_pem;
  ssl.pem_cert_chain = options.cert_pem;
  return grpc::SslCredentials(ssl);
}

std::string DescribeTls(const TlsServerOptions& options) {
  if (!options.enabled()) return "plaintext";
  return options.mutual() ? "mutual-tls" : "tls";
}

std::string DescribeTls(const TlsChannelOptions& options) {
  if (!options.enabled()) return "plaintext";
  return options.cert_pem.empty() ? "tls" : "mutual-tls";
}

}  // namespace cmtp::rpc
