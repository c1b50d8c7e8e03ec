#include "tools/cmtpctl/dev_ca.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/common/errors.h"

namespace cmtp::ctl {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertFree {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct ExtensionFree {
  void operator()(X509_EXTENSION* ext) const { X509_EXTENSION_free(ext); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;
using Bio = std::unique_ptr<BIO, BioFree>;

constexpr char kCaCommonName[] = "CMTP development CA";

// OpenSSL's error queue as text, emptied, behind `what`.
absl::Status OpenSslFailure(const std::string& what) {
  std::string detail;
  for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    absl::StrAppend(&detail, detail.empty() ? "" : "; ", buffer);
  }
  return error::Internal(absl::StrCat(what, detail.empty() ? "" : ": ", detail));
}

bool IsIpAddress(const std::string& text) {
  unsigned char buffer[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

// Letters, digits, '-' and '.': what a DNS name (and so a file name here) needs.
bool IsDnsName(const std::string& text) {
  if (text.empty() || text.size() > 253 || text.front() == '.' || text.front() == '-') {
    return false;
  }
  for (char c : text) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

// Writes `text` to `path` with `mode`, also when the file existed with a
// looser one.
absl::Status WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return error::Internal(
        absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  bool ok = fchmod(fd, mode) == 0;
  size_t written = 0;
  while (ok && written < text.size()) {
    ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<size_t>(n);
  }
  ok = close(fd) == 0 && ok;
  if (!ok) {
    return error::Internal(
        absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<Key> NewKey() {
  Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (key == nullptr) return OpenSslFailure("cannot generate a P-256 key");
  return key;
}

absl::StatusOr<std::string> KeyPem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0,
                                                 nullptr, nullptr) != 1) {
    return OpenSslFailure("cannot encode a private key");
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

absl::StatusOr<std::string> CertPem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return OpenSslFailure("cannot encode a certificate");
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, ExtensionFree> extension(
      X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
  if (extension == nullptr || X509_add_ext(cert, extension.get(), -1) != 1) {
    return OpenSslFailure(
        absl::StrCat("cannot add the extension ", OBJ_nid2sn(nid), " = ", value));
  }
  return absl::OkStatus();
}

struct Extension {
  int nid;
  std::string value;
};

// A certificate for `key` named `common_name`, signed by `issuer_key`
// (self-signed when `issuer` is null).
absl::StatusOr<Cert> Issue(EVP_PKEY* key, const std::string& common_name, X509* issuer,
                           EVP_PKEY* issuer_key, int valid_days,
                           const std::vector<Extension>& extensions) {
  Cert cert(X509_new());
  if (cert == nullptr || X509_set_version(cert.get(), 2) != 1) {
    return OpenSslFailure("cannot create a certificate");
  }
  // 127 random bits: unique serials without keeping a database.
  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(BN_new(), &BN_free);
  if (serial == nullptr ||
      BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return OpenSslFailure("cannot draw a serial number");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("CMTP"), -1, -1,
                                 0) != 1 ||
      X509_NAME_add_entry_by_txt(
          name, "CN", MBSTRING_ASC,
          reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) != 1) {
    return OpenSslFailure("cannot name the certificate");
  }
  X509* signer = issuer != nullptr ? issuer : cert.get();
  // An hour of slack for clocks that lag the machine that issued it.
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * valid_days) == nullptr ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return OpenSslFailure("cannot fill in the certificate");
  }
  for (const Extension& extension : extensions) {
    if (absl::Status added =
            AddExtension(cert.get(), signer, extension.nid, extension.value);
        !added.ok()) {
      return added;
    }
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) {
    return OpenSslFailure("cannot sign the certificate");
  }
  return cert;
}

struct Authority {
  Key key;
  Cert cert;
};

// The CA in `dir`: loaded when ca.crt and ca.key are both there, else made.
absl::StatusOr<Authority> LoadOrCreateCa(const DevCaOptions& options) {
  std::string cert_path = options.out_dir + "/ca.crt";
  std::string key_path = options.out_dir + "/ca.key";
  if (access(cert_path.c_str(), F_OK) == 0 && access(key_path.c_str(), F_OK) == 0) {
    Authority ca;
    Bio cert_bio(BIO_new_file(cert_path.c_str(), "r"));
    Bio key_bio(BIO_new_file(key_path.c_str(), "r"));
    if (cert_bio != nullptr) {
      ca.cert.reset(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
    }
    if (key_bio != nullptr) {
      ca.key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
    }
    if (ca.cert == nullptr || ca.key == nullptr) {
      return OpenSslFailure(absl::StrCat("cannot load the CA in ", options.out_dir));
    }
    if (X509_check_private_key(ca.cert.get(), ca.key.get()) != 1) {
      return error::InvalidInput(
          absl::StrCat(key_path, " is not the key of ", cert_path));
    }
    return ca;
  }
  absl::StatusOr<Key> key = NewKey();
  if (!key.ok()) return key.status();
  // Ten years: rotating service certificates should not mean a new CA.
  absl::StatusOr<Cert> cert =
      Issue(key->get(), kCaCommonName, nullptr, key->get(), 3650,
            {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
             {NID_key_usage, "critical,keyCertSign,cRLSign"},
             {NID_subject_key_identifier, "hash"}});
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key_pem = KeyPem(key->get());
  if (!key_pem.ok()) return key_pem.status();
  absl::StatusOr<std::string> cert_pem = CertPem(cert->get());
  if (!cert_pem.ok()) return cert_pem.status();
  if (absl::Status s = WriteFile(key_path, *key_pem, 0600); !s.ok()) return s;
  if (absl::Status s = WriteFile(cert_path, *cert_pem, 0644); !s.ok()) return s;
  return Authority{*std::move(key), *std::move(cert)};
}

}  // namespace

std::string SubjectAltNames(const DevCaOptions& options, const std::string& service) {
  std::vector<std::string> names = {absl::StrCat("DNS:", service), "DNS:localhost"};
  if (!options.kubernetes_namespace.empty()) {
    names.push_back(
        absl::StrCat("DNS:", service, ".", options.kubernetes_namespace, ".svc"));
    names.push_back(absl::StrCat("DNS:", service, ".", options.kubernetes_namespace,
                                 ".svc.cluster.local"));
  }
  for (const std::string& host : options.hosts) {
    names.push_back(absl::StrCat(IsIpAddress(host) ? "IP:" : "DNS:", host));
  }
  names.push_back("IP:127.0.0.1");
  names.push_back("IP:::1");
  return absl::StrJoin(names, ",");
}

absl::Status WriteDevCa(const DevCaOptions& options) {
  if (options.out_dir.empty()) return error::InvalidInput("dev-ca needs --out DIR");
  if (options.services.empty()) return error::InvalidInput("dev-ca: no --services");
  if (options.valid_days <= 0) return error::InvalidInput("--days must be positive");
  for (const std::string& service : options.services) {
    if (!IsDnsName(service) || service == "ca") {
      return error::InvalidInput(
          absl::StrCat("dev-ca: bad service name \"", service, "\""));
    }
  }
  for (const std::string& host : options.hosts) {
    if (!IsIpAddress(host) && !IsDnsName(host)) {
      return error::InvalidInput(absl::StrCat("dev-ca: bad host \"", host, "\""));
    }
  }
  if (!options.kubernetes_namespace.empty() && !IsDnsName(options.kubernetes_namespace)) {
    return error::InvalidInput("dev-ca: bad --namespace");
  }
  if (mkdir(options.out_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return error::Internal(
        absl::StrCat("cannot create ", options.out_dir, ": ", std::strerror(errno)));
  }
  absl::StatusOr<Authority> ca = LoadOrCreateCa(options);
  if (!ca.ok()) return ca.status();

  for (const std::string& service : options.services) {
    absl::StatusOr<Key> key = NewKey();
    if (!key.ok()) return key.status();
    absl::StatusOr<Cert> cert =
        Issue(key->get(), service, ca->cert.get(), ca->key.get(), options.valid_days,
              {{NID_basic_constraints, "critical,CA:FALSE"},
               {NID_key_usage, "critical,digitalSignature,keyAgreement"},
               {NID_ext_key_usage, "serverAuth,clientAuth"},
               {NID_subject_key_identifier, "hash"},
               {NID_authority_key_identifier, "keyid:always"},
               {NID_subject_alt_name, SubjectAltNames(options, service)}});
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key_pem = KeyPem(key->get());
    if (!key_pem.ok()) return key_pem.status();
    absl::StatusOr<std::string> cert_pem = CertPem(cert->get());
    if (!cert_pem.ok()) return cert_pem.status();
    std::string base = absl::StrCat(options.out_dir, "/", service);
    if (absl::Status s = WriteFile(base + ".key", *key_pem, 0600); !s.ok()) return s;
    if (absl::Status s = WriteFile(base + ".crt", *cert_pem, 0644); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace cmtp::ctl
