#include "tests/integration/wire_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace cmtp::integration {
namespace {

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* U(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

bool Init() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

// Reads a str (bytes up to a NUL, at most 255 of them) at *pos.
std::optional<std::string> TakeStr(std::string_view bytes, size_t* pos) {
  size_t nul = bytes.find('\0', *pos);
  if (nul == std::string_view::npos || nul - *pos > 255) return std::nullopt;
  std::string out(bytes.substr(*pos, nul - *pos));
  *pos = nul + 1;
  return out;
}

}  // namespace

WireClient::~WireClient() { Close(); }

void WireClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  buffer_.clear();
}

bool WireClient::Connect(int port) {
  Close();
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    Close();
    return false;
  }
  std::optional<std::string> banner = ReadStr();
  if (!banner || banner->size() < 2 || (*banner)[banner->size() - 2] != '\n') {
    Close();
    return false;
  }
  banner_ = *banner;
  return true;
}

bool WireClient::Send(std::string_view bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool WireClient::Fill(size_t max) {
  if (fd_ < 0) return false;
  pollfd pfd{fd_, POLLIN, 0};
  int r = poll(&pfd, 1, static_cast<int>(timeout_.count()));
  if (r <= 0) return false;
  std::string chunk(max, '\0');
  ssize_t n = recv(fd_, chunk.data(), chunk.size(), 0);
  if (n <= 0) return false;
  buffer_.append(chunk.data(), static_cast<size_t>(n));
  return true;
}

std::optional<std::string> WireClient::ReadExact(size_t n) {
  while (buffer_.size() < n) {
    if (!Fill(std::min<size_t>(n - buffer_.size(), 1 << 20))) {
      return std::nullopt;
    }
  }
  std::string out = buffer_.substr(0, n);
  buffer_.erase(0, n);
  return out;
}

std::optional<std::string> WireClient::ReadStr() {
  while (true) {
    size_t nul = buffer_.find('\0');
    if (nul != std::string::npos) {
      std::string out = buffer_.substr(0, nul + 1);
      buffer_.erase(0, nul + 1);
      return out;
    }
    if (buffer_.size() > 4096 || !Fill(4096)) return std::nullopt;
  }
}

std::optional<StatusReply> WireClient::ReadStatus() {
  std::optional<std::string> word = ReadExact(7);
  if (!word || (*word != "SUCCESS" && *word != "FAILURE")) return std::nullopt;
  std::optional<std::string> sig = ReadExact(64);
  if (!sig) return std::nullopt;
  std::optional<std::string> detail = ReadStr();
  if (!detail) return std::nullopt;
  detail->pop_back();  // the NUL
  return StatusReply{*word, *sig, *detail};
}

bool WireClient::WaitClosed(std::chrono::milliseconds timeout, std::string* rest) {
  if (fd_ < 0) return true;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  if (rest != nullptr) rest->append(buffer_);
  buffer_.clear();
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd pfd{fd_, POLLIN, 0};
    int r = poll(&pfd, 1, static_cast<int>(std::max<int64_t>(left.count(), 1)));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
    if (n < 0) return errno != EINTR && errno != EAGAIN;
    if (rest != nullptr) rest->append(buf, static_cast<size_t>(n));
  }
  return false;
}

std::string Hash(std::string_view data) {
  Init();
  std::string out(32, '\0');
  crypto_generichash(U(out), out.size(), U(data), data.size(), nullptr, 0);
  return out;
}

std::string Hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

bool VerifyStatus(const StatusReply& reply, std::string_view server_pk,
                  std::string_view request_bytes) {
  Init();
  if (server_pk.size() != 32 || reply.signature.size() != 64) return false;
  std::string signed_bytes("CMTP-STATUS-1\0", 14);
  signed_bytes += reply.word;
  signed_bytes += Hash(request_bytes);
  signed_bytes += reply.detail;
  return crypto_sign_verify_detached(U(reply.signature), U(signed_bytes),
                                     signed_bytes.size(), U(server_pk)) == 0;
}

std::string U32(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(v >> (24 - 8 * i));
  return out;
}

std::string U64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (56 - 8 * i));
  return out;
}

uint32_t ReadU32(std::string_view bytes) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return v;
}

uint64_t ReadU64(std::string_view bytes) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[i]);
  return v;
}

std::string SerializeMessage(const Message& m) {
  std::string out = U32(m.crypto_type) +
                    U32(static_cast<uint32_t>(m.attachments.size())) + U64(m.log.size()) +
                    U64(m.body.size());
  for (const std::string* s :
       {&m.dst_account, &m.dst_domain, &m.src_account, &m.src_domain}) {
    out += *s;
    out.push_back('\0');
  }
  out += m.log;
  out += m.body;
  for (const std::string& a : m.attachments) out += U64(a.size()) + a;
  return out;
}

std::optional<Message> ParseMessage(std::string_view bytes) {
  if (bytes.size() < 24) return std::nullopt;
  Message m;
  m.crypto_type = ReadU32(bytes.substr(0, 4));
  uint32_t count = ReadU32(bytes.substr(4, 4));
  uint64_t log_len = ReadU64(bytes.substr(8, 8));
  uint64_t body_len = ReadU64(bytes.substr(16, 8));
  size_t pos = 24;
  for (std::string* s : {&m.dst_account, &m.dst_domain, &m.src_account, &m.src_domain}) {
    std::optional<std::string> str = TakeStr(bytes, &pos);
    if (!str) return std::nullopt;
    *s = *str;
  }
  if (bytes.size() - pos < log_len) return std::nullopt;
  m.log = std::string(bytes.substr(pos, log_len));
  pos += log_len;
  if (bytes.size() - pos < body_len) return std::nullopt;
  m.body = std::string(bytes.substr(pos, body_len));
  pos += body_len;
  for (uint32_t i = 0; i < count; ++i) {
    if (bytes.size() - pos < 8) return std::nullopt;
    uint64_t len = ReadU64(bytes.substr(pos, 8));
    pos += 8;
    if (bytes.size() - pos < len) return std::nullopt;
    m.attachments.emplace_back(bytes.substr(pos, len));
    pos += len;
  }
  if (pos != bytes.size()) return std::nullopt;
  return m;
}

std::string MessageId(const Message& m) {
  std::string covered = U32(m.crypto_type) +
                        U32(static_cast<uint32_t>(m.attachments.size())) +
                        U64(m.body.size());
  for (const std::string* s :
       {&m.dst_account, &m.dst_domain, &m.src_account, &m.src_domain}) {
    covered += *s;
    covered.push_back('\0');
  }
  covered += m.body;
  for (const std::string& a : m.attachments) covered += U64(a.size()) + a;
  return Hex(Hash(covered).substr(0, 16));
}

std::optional<std::string> OpenV1Xzibit(std::string_view xzibit,
                                        std::string_view password) {
  Init();
  if (xzibit.size() != 156 || ReadU32(xzibit) != 1 ||
      ReadU64(xzibit.substr(36, 8)) != 112) {
    return std::nullopt;
  }
  std::string_view salt = xzibit.substr(4, 32);
  std::string_view ct = xzibit.substr(44, 112);
  std::string key(32, '\0');
  if (crypto_pwhash_scryptsalsa208sha256(
          U(key), key.size(), password.data(), password.size(), U(salt),
          crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_INTERACTIVE,
          crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_INTERACTIVE) != 0) {
    return std::nullopt;
  }
  std::string plain(96, '\0');
  unsigned long long plain_len = 0;
  if (crypto_aead_chacha20poly1305_decrypt(U(plain), &plain_len, nullptr, U(ct),
                                           ct.size(), nullptr, 0, U(salt), U(key)) != 0 ||
      plain_len != 96) {
    return std::nullopt;
  }
  return plain.substr(32);
}

bool Verify(std::string_view message, std::string_view signature, std::string_view pk) {
  Init();
  if (signature.size() != 64 || pk.size() != 32) return false;
  return crypto_sign_verify_detached(U(signature), U(message), message.size(), U(pk)) ==
         0;
}

std::string Sign(std::string_view message, std::string_view secret_key) {
  Init();
  std::string sig(64, '\0');
  crypto_sign_detached(U(sig), nullptr, U(message), message.size(), U(secret_key));
  return sig;
}

std::pair<std::string, std::string> NewSigningKey() {
  Init();
  std::string pk(32, '\0'), sk(64, '\0');
  crypto_sign_keypair(U(pk), U(sk));
  return {pk, sk};
}

std::string SealTo(std::string_view plaintext, std::string_view ed25519_pk) {
  Init();
  std::string x_pk(32, '\0');
  if (crypto_sign_ed25519_pk_to_curve25519(U(x_pk), U(ed25519_pk)) != 0) return "";
  std::string out(plaintext.size() + crypto_box_SEALBYTES, '\0');
  crypto_box_seal(U(out), U(plaintext), plaintext.size(), U(x_pk));
  return out;
}

std::optional<StatusReply> Authenticate(WireClient& client, const std::string& account,
                                        const std::string& domain,
                                        std::string_view secret_key,
                                        std::string_view server_pk,
                                        std::string* request) {
  if (!client.Send(std::string("CHALLENGE\0", 10))) return std::nullopt;
  std::optional<std::string> challenge = client.ReadExact(32);
  if (!challenge) return std::nullopt;
  std::string signed_bytes("CMTP-AUTH-1\0", 12);
  signed_bytes += account + '\0' + domain + '\0';
  signed_bytes += *challenge;
  signed_bytes += server_pk;
  std::string bytes =
      std::string("AUTH\0", 5) + account + '\0' + Sign(signed_bytes, secret_key);
  if (request != nullptr) *request = bytes;
  if (!client.Send(bytes)) return std::nullopt;
  return client.ReadStatus();
}

std::optional<std::vector<ListEntry>> List(WireClient& client) {
  if (!client.Send(std::string("LIST\0", 5))) return std::nullopt;
  std::optional<StatusReply> status = client.ReadStatus();
  if (!status || !status->success()) return std::nullopt;
  std::optional<std::string> count = client.ReadExact(4);
  if (!count) return std::nullopt;
  std::vector<ListEntry> entries;
  for (uint32_t i = 0, n = ReadU32(*count); i < n; ++i) {
    ListEntry e;
    std::optional<std::string> id = client.ReadStr();
    std::optional<std::string> sizes = client.ReadExact(16);
    std::optional<std::string> src_account = client.ReadStr();
    std::optional<std::string> src_domain = client.ReadStr();
    if (!id || !sizes || !src_account || !src_domain) return std::nullopt;
    e.id = id->substr(0, id->size() - 1);
    e.size = ReadU64(sizes->substr(0, 8));
    e.arrival_unix_ms = ReadU64(sizes->substr(8, 8));
    e.src_account = src_account->substr(0, src_account->size() - 1);
    e.src_domain = src_domain->substr(0, src_domain->size() - 1);
    entries.push_back(e);
  }
  return entries;
}

bool NoopAnswered(int port) {
  WireClient client;
  client.set_timeout(std::chrono::seconds(5));
  if (!client.Connect(port)) return false;
  if (!client.Send(std::string("NOOP\0", 5))) return false;
  std::optional<std::string> reply = client.ReadExact(5);
  return reply && *reply == std::string("O_O\n\0", 5);
}

}  // namespace cmtp::integration
