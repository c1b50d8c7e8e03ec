#include "lib/crypto/protocol_signatures.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lib/crypto/sodium.h"
#include "lib/wire/serializer.h"

namespace cmtp::crypto {
namespace {

using std::string_view_literals::operator""sv;

// Each signature starts with its own NUL-terminated label, so a signature
// made for one purpose never verifies for another.
constexpr std::string_view kStatusLabel = "CMTP-STATUS-1\0"sv;
constexpr std::string_view kRegisterLabel = "CMTP-REGISTER-1\0"sv;
constexpr std::string_view kAuthLabel = "CMTP-AUTH-1\0"sv;
constexpr std::string_view kLoginLabel = "CMTP-LOGIN-1\0"sv;
constexpr std::string_view kSuccessWord = "SUCCESS";
constexpr std::string_view kFailureWord = "FAILURE";
constexpr size_t kMaxDetail = 255;  // a str
constexpr size_t kMaxUtf8ContinuationBytes = 3;

bool IsUtf8Continuation(char byte) {
  return (static_cast<unsigned char>(byte) & 0xC0) == 0x80;
}

// The detail travels as a str: no NUL inside, at most 255 bytes. It is cut
// here, before signing, so the bytes signed are the bytes sent (whatever
// wire::StatusReply does to a longer one is then a no-op). The cut backs off
// to a UTF-8 character boundary so the detail stays readable text.
std::string_view DetailAsSent(std::string_view detail) {
  detail = detail.substr(0, detail.find('\0'));
  if (detail.size() <= kMaxDetail) return detail;
  size_t cut = kMaxDetail;
  for (size_t backed_off = 0; backed_off < kMaxUtf8ContinuationBytes && cut > 0 &&
                              IsUtf8Continuation(detail[cut]);
       ++backed_off) {
    --cut;
  }
  // Not UTF-8 after all (a run of continuation bytes): cut at the limit.
  if (IsUtf8Continuation(detail[cut])) cut = kMaxDetail;
  return detail.substr(0, cut);
}

// Appends `text` and the NUL that ends it as a str.
void AppendTerminated(std::string& out, std::string_view text) {
  out.append(text);
  out.push_back('\0');
}

std::string AccountProofBytes(std::string_view label, std::string_view account,
                              std::string_view domain, std::string_view challenge,
                              std::string_view server_public_key) {
  std::string bytes(label);
  AppendTerminated(bytes, account);
  AppendTerminated(bytes, domain);
  bytes.append(challenge);
  bytes.append(server_public_key);
  return bytes;
}

}  // namespace

std::string StatusSignedBytes(bool success, std::string_view request_bytes,
                              std::string_view detail) {
  std::string bytes(kStatusLabel);
  bytes.append(success ? kSuccessWord : kFailureWord);
  bytes.append(Hash(request_bytes));
  bytes.append(detail);
  return bytes;
}

wire::Status MakeStatus(std::string_view server_secret_key, bool success,
                        std::string_view request_bytes, std::string_view detail) {
  wire::Status status;
  status.success = success;
  status.detail = std::string(DetailAsSent(detail));
  status.signature =
      Sign(server_secret_key, StatusSignedBytes(success, request_bytes, status.detail));
  return status;
}

bool VerifyStatus(std::string_view server_public_key, const wire::Status& status,
                  std::string_view request_bytes) {
  return Verify(server_public_key,
                StatusSignedBytes(status.success, request_bytes, status.detail),
                status.signature);
}

std::string RegisterSignedBytes(std::string_view account, std::string_view domain,
                                std::string_view public_key,
                                std::string_view login_public_key,
                                std::string_view xzibit) {
  std::string bytes(kRegisterLabel);
  AppendTerminated(bytes, account);
  AppendTerminated(bytes, domain);
  bytes.append(public_key);
  bytes.append(login_public_key);
  bytes.append(Hash(xzibit));
  return bytes;
}

std::string AuthSignedBytes(std::string_view account, std::string_view domain,
                            std::string_view challenge,
                            std::string_view server_public_key) {
  return AccountProofBytes(kAuthLabel, account, domain, challenge, server_public_key);
}

std::string LoginSignedBytes(std::string_view account, std::string_view domain,
                             std::string_view challenge,
                             std::string_view server_public_key) {
  return AccountProofBytes(kLoginLabel, account, domain, challenge, server_public_key);
}

std::string MakeKeyBlock(std::string_view server_secret_key,
                         std::string_view public_key) {
  if (public_key.size() != kPublicKeySize) {
    // Keys reach here from storage that only ever holds 32-byte keys.
    std::fprintf(stderr, "fatal: MakeKeyBlock given a %zu-byte public key\n",
                 public_key.size());
    std::abort();
  }
  return wire::KeyBlockReply(public_key, Sign(server_secret_key, public_key));
}

std::string MakeNotAvailableBlock(std::string_view server_secret_key) {
  return wire::NotAvailableReply(
      Sign(server_secret_key, wire::NotAvailableSignedBytes()));
}

}  // namespace cmtp::crypto
