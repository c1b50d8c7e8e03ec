// A development certificate authority for TLS between the services: one CA
// and, per service, one ECDSA P-256 certificate valid both as a server and as
// a client (so the relay, which is both, needs one), with subjectAltNames for
// the Kubernetes Service names and the loopback addresses. Built on OpenSSL's
// libcrypto; meant for development clusters and tests, not as a real PKI.
#ifndef CMTP_TOOLS_CMTPCTL_DEV_CA_H_
#define CMTP_TOOLS_CMTPCTL_DEV_CA_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace cmtp::ctl {

struct DevCaOptions {
  std::string out_dir;                // created if missing
  std::vector<std::string> services;  // a NAME.crt / NAME.key pair each
  // Extra names (or IP addresses) put into every service certificate, e.g.
  // "keyserver.cmtp.svc.cluster.local" or a node address.
  std::vector<std::string> hosts;
  // Non-empty: NAME.NAMESPACE.svc and NAME.NAMESPACE.svc.cluster.local too.
  std::string kubernetes_namespace;
  int valid_days = 365;
};

// Writes ca.crt and ca.key (kept when both exist already, so certificates can
// be reissued under the same CA for rotation) and NAME.crt / NAME.key per
// service into out_dir. Keys are written mode 0600. InvalidInput for a bad
// service or host name, Internal when a file cannot be written.
absl::Status WriteDevCa(const DevCaOptions& options);

// The names and addresses a service's certificate carries: NAME, localhost,
// the namespace forms, `hosts`, 127.0.0.1 and ::1, as subjectAltName text
// ("DNS:keyserver,DNS:localhost,...,IP:127.0.0.1,IP:::1").
std::string SubjectAltNames(const DevCaOptions& options, const std::string& service);

}  // namespace cmtp::ctl

#endif  // CMTP_TOOLS_CMTPCTL_DEV_CA_H_
