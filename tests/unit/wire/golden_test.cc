// The codec against bytes captured from the reference implementation
// (shared/vectors/reference): parse them, then re-serialize them exactly.
#include <sodium.h>

#include <string>

#include "gtest/gtest.h"
#include "lib/wire/message_id.h"
#include "lib/wire/reply_parser.h"
#include "lib/wire/request_parser.h"
#include "lib/wire/serializer.h"
#include "tests/support/ports.h"
#include "tests/unit/wire/parse_helpers.h"

namespace cmtp::wire {
namespace {

using cmtp::testing::ReadFileOrDie;
using cmtp::testing::VectorPath;
using testing::kAllSplits;
using testing::ParseReply;
using testing::ParseStream;
using testing::Split;

std::string Vector(const std::string& name) { return ReadFileOrDie(VectorPath(name)); }

bool VerifiedByServer(std::string_view message, std::string_view signature) {
  const std::string server_public_key = Vector("server_public.key");
  return signature.size() == crypto_sign_BYTES &&
         crypto_sign_verify_detached(
             reinterpret_cast<const unsigned char*>(signature.data()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(),
             reinterpret_cast<const unsigned char*>(server_public_key.data())) == 0;
}

class WireGoldenTest : public ::testing::TestWithParam<Split> {};

TEST_P(WireGoldenTest, ReferenceClientMailThenObai) {
  const std::string capture = Vector("mail_from_alice_client.bin");
  const testing::StreamResult result = ParseStream(capture, GetParam());
  ASSERT_TRUE(result.error.ok()) << result.error;
  ASSERT_EQ(result.commands.size(), 2u);
  EXPECT_EQ(result.final_state, RequestParser::State::kNeedMore);
  EXPECT_EQ(result.consumed, capture.size());

  const Command& mail = result.commands[0];
  ASSERT_EQ(mail.kind, CommandKind::kMail);
  const MailHeader& header = mail.mail.header;
  EXPECT_EQ(header.crypto_type, 1u);
  EXPECT_EQ(header.attachment_count, 0u);
  EXPECT_EQ(header.log_len, 0u);
  EXPECT_EQ(header.body_len, 99u);
  EXPECT_EQ(header.dst_account, "bob");
  EXPECT_EQ(header.dst_domain, "hawaii.edu");
  EXPECT_EQ(header.src_account, "alice");
  EXPECT_EQ(header.src_domain, "hawaii.edu");
  EXPECT_TRUE(mail.mail.log().empty());
  EXPECT_EQ(mail.mail.body().size(), 99u);
  EXPECT_TRUE(mail.mail.attachment_spans.empty());
  // The message bytes are everything between "MAIL\0" and "OBAI\0".
  const size_t obai_at = capture.size() - 5;
  EXPECT_EQ(mail.mail.bytes, capture.substr(5, obai_at - 5));
  EXPECT_EQ(mail.SignedRequestBytes(), mail.mail.bytes);
  EXPECT_EQ(mail.mail.body(), capture.substr(obai_at - 99, 99));

  // Re-serialized, both ways, to the captured bytes.
  EXPECT_EQ(SerializeMessage(header, mail.mail.log(), mail.mail.body(), {}),
            mail.mail.bytes);
  EXPECT_EQ(SerializeCommand(mail), capture.substr(0, obai_at));

  const Command& obai = result.commands[1];
  EXPECT_EQ(obai.kind, CommandKind::kObai);
  EXPECT_EQ(obai.request_bytes, std::string("OBAI\0", 5));
  EXPECT_EQ(SerializeCommand(obai), capture.substr(obai_at));
}

TEST_P(WireGoldenTest, ReferenceClientKeyRequestWithStrayNul) {
  const std::string request("KEYREQUEST\0bob\0hawaii.edu\0\0", 27);
  const testing::StreamResult result = ParseStream(request, GetParam());
  ASSERT_EQ(result.commands.size(), 1u) << result.error;
  // The stray NUL is an empty command: consumed and skipped, nothing else.
  EXPECT_EQ(result.final_state, RequestParser::State::kNeedMore);
  EXPECT_EQ(result.consumed, request.size());
  const Command& command = result.commands[0];
  EXPECT_EQ(command.kind, CommandKind::kKeyRequest);
  EXPECT_EQ(command.account, "bob");
  EXPECT_EQ(command.domain, "hawaii.edu");
  EXPECT_EQ(command.request_bytes, request.substr(0, 26));
  EXPECT_EQ(SerializeCommand(command), request.substr(0, 26));
}

TEST(WireGoldenTest, KeyRequestLeavesTheStrayNulForTheNextFeed) {
  const std::string request("KEYREQUEST\0bob\0hawaii.edu\0\0", 27);
  RequestParser parser{Limits()};
  RequestParser::Result result = parser.Feed(request);
  EXPECT_EQ(result.state, RequestParser::State::kCommandReady);
  EXPECT_EQ(result.consumed, 26u);
  parser.TakeCommand();
  result = parser.Feed(std::string_view(request).substr(26));
  EXPECT_EQ(result.state, RequestParser::State::kNeedMore);
  EXPECT_EQ(result.consumed, 1u);
}

TEST_P(WireGoldenTest, KeyReplies) {
  for (const char* name : {"alice", "bob", "server"}) {
    SCOPED_TRACE(name);
    const std::string capture = Vector(std::string("keyreply_") + name + ".bin");
    const std::string public_key = Vector(std::string(name) + "_public.key");
    const testing::ReplyResult result =
        ParseReply(capture, ReplyKind::kKeyBlock, GetParam());
    ASSERT_EQ(result.state, ReplyParser::State::kReplyReady) << result.error;
    EXPECT_EQ(result.consumed, capture.size());
    const Reply& reply = result.reply;
    EXPECT_EQ(reply.raw, capture);
    EXPECT_FALSE(reply.has_status);
    EXPECT_TRUE(reply.key_available);
    EXPECT_EQ(reply.crypto_type, 1u);
    EXPECT_EQ(reply.public_key, public_key);
    EXPECT_EQ(reply.signed_part, public_key);
    EXPECT_EQ(reply.signature, capture.substr(37, 64));
    EXPECT_TRUE(VerifiedByServer(reply.signed_part, reply.signature));
    EXPECT_EQ(KeyBlockReply(reply.public_key, reply.signature), capture);
  }
}

TEST_P(WireGoldenTest, LoginReplyV1) {
  const std::string capture = Vector("login_reply_alice.bin");
  const std::string xzibit = Vector("alice.xzibit");
  const testing::ReplyResult result = ParseReply(capture, ReplyKind::kLogin, GetParam());
  ASSERT_EQ(result.state, ReplyParser::State::kReplyReady) << result.error;
  EXPECT_EQ(result.consumed, capture.size());
  const Reply& reply = result.reply;
  EXPECT_EQ(reply.raw, capture);
  EXPECT_FALSE(reply.has_status);
  EXPECT_EQ(reply.login_version, 1u);
  EXPECT_EQ(reply.xzibit, xzibit);
  EXPECT_EQ(reply.signed_part, xzibit);
  EXPECT_EQ(reply.signature, capture.substr(156));
  EXPECT_TRUE(VerifiedByServer(reply.signed_part, reply.signature));
  EXPECT_EQ(LoginV1Reply(reply.xzibit, reply.signature), capture);
}

INSTANTIATE_TEST_SUITE_P(EverySplit, WireGoldenTest, ::testing::ValuesIn(kAllSplits));

// Every prefix of a reference capture is an incomplete command or reply:
// the parser asks for more and has taken every byte.
TEST(WireGoldenTest, TruncatedCapturesNeedMore) {
  const std::string mail = Vector("mail_from_alice_client.bin");
  const size_t mail_end = mail.size() - 5;  // before OBAI
  for (size_t n = 0; n < mail_end; ++n) {
    RequestParser parser{Limits()};
    const RequestParser::Result result = parser.Feed(std::string_view(mail).substr(0, n));
    ASSERT_EQ(result.state, RequestParser::State::kNeedMore) << "prefix " << n;
    ASSERT_EQ(result.consumed, n);
  }
  for (const char* name : {"keyreply_alice.bin", "login_reply_alice.bin"}) {
    const std::string capture = Vector(name);
    const ReplyKind kind = name[0] == 'k' ? ReplyKind::kKeyBlock : ReplyKind::kLogin;
    for (size_t n = 0; n < capture.size(); ++n) {
      ReplyParser parser(kind, Limits());
      const ReplyParser::Result result =
          parser.Feed(std::string_view(capture).substr(0, n));
      ASSERT_EQ(result.state, ReplyParser::State::kNeedMore) << name << " prefix " << n;
      ASSERT_EQ(result.consumed, n);
    }
  }
}

TEST(WireGoldenTest, ReferenceMailId) {
  const std::string capture = Vector("mail_from_alice_client.bin");
  const testing::StreamResult result = ParseStream(capture, Split::kWhole);
  ASSERT_FALSE(result.commands.empty());
  const MailMessage& mail = result.commands[0].mail;
  // The preimage spelled out from docs/protocol.md: the message bytes with
  // the u64 log length (bytes 8..16) and the (empty) log left out.
  const std::string preimage = mail.bytes.substr(0, 8) + mail.bytes.substr(16);
  unsigned char hash[32];
  crypto_generichash(hash, sizeof(hash),
                     reinterpret_cast<const unsigned char*>(preimage.data()),
                     preimage.size(), nullptr, 0);
  char hex[33];
  sodium_bin2hex(hex, sizeof(hex), hash, 16);
  EXPECT_EQ(MessageId(mail), std::string(hex));
  EXPECT_TRUE(IsMessageId(MessageId(mail)));
}

}  // namespace
}  // namespace cmtp::wire
