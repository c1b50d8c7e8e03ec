// Writes the fuzzers' seed corpus: the reference captures plus a few
// serialized commands and replies, each behind the fuzz target's
// configuration bytes (see request_parser_fuzzer.cc, reply_parser_fuzzer.cc),
// and a mail's contents behind message_content_fuzzer.cc's selector.
//   cmtp_fuzz_corpus <vectors dir> <corpus dir>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "lib/crypto/inner_message.h"
#include "lib/crypto/log_entry.h"
#include "lib/crypto/sealed.h"
#include "lib/crypto/sodium.h"
#include "lib/crypto/xzibit.h"
#include "lib/wire/command.h"
#include "lib/wire/reply.h"
#include "lib/wire/serializer.h"

namespace cmtp::wire {
namespace {

// Configuration bytes: a read-size seed and a limits selector (>= 128 picks
// the small limits).
constexpr char kSplitSeed = 7;
constexpr char kDefaultLimits = 0;
constexpr char kSmallLimits = static_cast<char>(0x90);

// The fuzz targets' indexes of each ReplyKind.
constexpr char kText = 0, kKeyBlock = 1, kLogin = 2, kChallenge = 3, kStatus = 4,
               kStatusList = 5, kStatusBlob = 6, kStatusXzibit = 7;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(1);
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

void WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

Command Simple(CommandKind kind) {
  Command command;
  command.kind = kind;
  return command;
}

// A message's bytes (what follows "MAIL\0") with a log and two attachments.
std::string StoredWithAttachments() {
  MailHeader header;
  header.dst_account = "bob";
  header.dst_domain = "hawaii.edu";
  header.src_account = "alice";
  header.src_domain = "example.org";
  return SerializeMessage(header, std::string("relay\0", 6), "sealed body",
                          {"first attachment", ""});
}

std::vector<std::pair<std::string, std::string>> RequestSeeds(
    const std::filesystem::path& vectors) {
  std::vector<std::pair<std::string, std::string>> streams = {
      {"mail_from_alice_client", ReadFile(vectors / "mail_from_alice_client.bin")},
      {"keyrequest_stray_nul", std::string("KEYREQUEST\0bob\0hawaii.edu\0\0", 27)},
      {"server_keyrequest", std::string("KEYREQUEST\0\0", 12)},
      {"line_terminators", "OHAI\r\nNOOP\nHELP\r\nCHALLENGE\nLIST\r\nOBAI\n"},
      {"garbage_http", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
  };
  std::string argless;
  for (CommandKind kind :
       {CommandKind::kOhai, CommandKind::kNoop, CommandKind::kHelp,
        CommandKind::kChallenge, CommandKind::kList, CommandKind::kObai}) {
    argless += SerializeCommand(Simple(kind));
  }
  streams.emplace_back("argless_nul", argless);

  Command login = Simple(CommandKind::kLogin);
  login.account = "alice";
  Command auth = Simple(CommandKind::kAuth);
  auth.account = "alice";
  auth.signature = std::string(64, 's');
  Command proof = auth;
  proof.kind = CommandKind::kLoginProof;
  Command fetch = Simple(CommandKind::kFetch);
  fetch.argument = "0123456789abcdef0123456789abcdef";
  Command del = fetch;
  del.kind = CommandKind::kDelete;
  streams.emplace_back("account_commands",
                       SerializeCommand(login) + SerializeCommand(auth) +
                           SerializeCommand(proof) + SerializeCommand(fetch) +
                           SerializeCommand(del));

  Command reg = Simple(CommandKind::kRegister);
  reg.account = "carol";
  reg.domain = "example.org";
  reg.argument = "invite";
  reg.crypto_type = kCryptoTypeEd25519;
  reg.public_key = std::string(32, 'p');
  reg.login_public_key = std::string(32, 'l');
  reg.xzibit = std::string("\0\0\0\x02", 4) + std::string(40, 'x');
  reg.signature = std::string(64, 's');
  streams.emplace_back("register", SerializeCommand(reg));

  Command mail = Simple(CommandKind::kMail);
  mail.mail.bytes = StoredWithAttachments();
  streams.emplace_back("mail_with_attachments", SerializeCommand(mail));

  std::vector<std::pair<std::string, std::string>> seeds;
  for (const auto& [name, stream] : streams) {
    seeds.emplace_back(name, std::string{kSplitSeed, kDefaultLimits} + stream);
  }
  // The same MAIL against the small limits: reaches the limit checks.
  seeds.emplace_back("mail_small_limits",
                     std::string{kSplitSeed, kSmallLimits} + SerializeCommand(mail));
  return seeds;
}

std::vector<std::pair<std::string, std::string>> ReplySeeds(
    const std::filesystem::path& vectors) {
  const std::string signature(64, 'g');
  Status success;
  success.success = true;
  success.signature = signature;
  success.detail = "0123456789abcdef0123456789abcdef";
  Status failure;
  failure.signature = signature;
  failure.detail = "unknown command";

  ListEntry entry;
  entry.message_id = success.detail;
  entry.size = 165;
  entry.arrival_unix_ms = 1700000000000;
  entry.src_account = "alice";
  entry.src_domain = "hawaii.edu";

  const std::vector<std::pair<std::string, std::pair<char, std::string>>> replies = {
      {"banner", {kText, TextReply(kBanner)}},
      {"noop", {kText, TextReply(kNoopReply)}},
      {"text_failure", {kText, StatusReply(failure)}},
      {"keyreply_alice", {kKeyBlock, ReadFile(vectors / "keyreply_alice.bin")}},
      {"keyreply_server", {kKeyBlock, ReadFile(vectors / "keyreply_server.bin")}},
      {"key_not_available", {kKeyBlock, NotAvailableReply(signature)}},
      {"login_reply_alice", {kLogin, ReadFile(vectors / "login_reply_alice.bin")}},
      {"login_v2",
       {kLogin,
        LoginChallengeReply(LoginChallengeSignedBytes(std::string(16, 's'), 3,
                                                      256ull << 20, std::string(32, 'c')),
                            signature)}},
      {"login_rate_limited", {kLogin, StatusReply(failure)}},
      {"challenge", {kChallenge, std::string(32, 'n')}},
      {"status_success", {kStatus, StatusReply(success)}},
      {"list", {kStatusList, StatusReply(success) + ListPayload({entry, entry})}},
      {"blob", {kStatusBlob, StatusReply(success) + BlobPayload("message bytes")}},
      {"xzibit",
       {kStatusXzibit, StatusReply(success) + XzibitPayload("xzibit", signature)}},
  };
  std::vector<std::pair<std::string, std::string>> seeds;
  for (const auto& [name, reply] : replies) {
    seeds.emplace_back(
        name, std::string{reply.first, kSplitSeed, kDefaultLimits} + reply.second);
  }
  return seeds;
}

// message_content_fuzzer.cc's selectors.
constexpr char kInner = 0, kLog = 1, kAttachment = 2, kXzibit = 3, kStored = 4;

std::vector<std::pair<std::string, std::string>> ContentSeeds(
    const std::filesystem::path& vectors) {
  const crypto::KeyPair sender = crypto::KeyPairFromSeed(std::string(32, 's'));
  crypto::InnerMessage inner;
  inner.timestamp_unix_ms = 1700000000000;
  inner.from = "alice@example.org";
  inner.to = "bob@hawaii.edu";
  inner.subject = "Lunch";
  inner.reply_to = "alice@example.org";
  inner.cc = {"carol@example.org", "dave@hawaii.edu"};
  inner.text = "Noon at the usual place?";
  const std::string message_id(32, 'i');
  const crypto::KeyPair server = crypto::KeyPairFromSeed(std::string(32, 'k'));
  const std::string log = std::string("relay\0", 6) +
                          crypto::MakeLogEntry("example.org", 1700000000000, message_id,
                                               server.secret_key.view()) +
                          crypto::MakeLogEntry("hawaii.edu", 1700000000123, message_id,
                                               server.secret_key.view());
  std::string attachment(crypto::kAttachmentNameField, '\0');
  attachment.replace(0, 9, "notes.txt");
  attachment += "attachment data";
  std::string xzibit_v2("\0\0\0\x02", 4);
  xzibit_v2.append(200, 'x');

  const std::vector<std::pair<std::string, std::pair<char, std::string>>> contents = {
      {"inner_structured",
       {kInner, crypto::EncodeSignedInner(inner, sender.secret_key.view())}},
      {"inner_raw_text", {kInner, "Hello from the reference client"}},
      {"log_two_entries", {kLog, log}},
      {"attachment", {kAttachment, attachment}},
      {"xzibit_v1_alice", {kXzibit, ReadFile(vectors / "alice.xzibit")}},
      {"xzibit_v2_shape", {kXzibit, xzibit_v2}},
      // What FETCH returns: the message bytes, without "MAIL\0".
      {"stored_mail_from_alice",
       {kStored, ReadFile(vectors / "mail_from_alice_client.bin").substr(5)}},
      {"stored_mail_with_attachments", {kStored, StoredWithAttachments()}},
  };
  std::vector<std::pair<std::string, std::string>> seeds;
  for (const auto& [name, content] : contents) {
    seeds.emplace_back(name, std::string{content.first} + content.second);
  }
  return seeds;
}

void WriteAll(const std::filesystem::path& dir,
              const std::vector<std::pair<std::string, std::string>>& seeds) {
  std::filesystem::create_directories(dir);
  for (const auto& [name, bytes] : seeds) WriteFile(dir / name, bytes);
}

}  // namespace
}  // namespace cmtp::wire

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <vectors dir> <corpus dir>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path vectors = argv[1];
  const std::filesystem::path corpus = argv[2];
  cmtp::wire::WriteAll(corpus / "request", cmtp::wire::RequestSeeds(vectors));
  cmtp::wire::WriteAll(corpus / "reply", cmtp::wire::ReplySeeds(vectors));
  cmtp::wire::WriteAll(corpus / "content", cmtp::wire::ContentSeeds(vectors));
  return 0;
}
