// The failure notice as the sender's client reads it: opened with the
// sender's key, signed by our server key, and logged by our server.
#include "services/relay/failure_notice.h"

#include <gtest/gtest.h>

#include "lib/client/failures.h"
#include "lib/crypto/inner_message.h"
#include "lib/crypto/log_entry.h"
#include "lib/crypto/protocol_signatures.h"
#include "lib/crypto/sealed.h"
#include "lib/wire/message_id.h"
#include "lib/wire/message_parser.h"

namespace cmtp::relay {
namespace {

NoticeFacts Facts() {
  NoticeFacts facts;
  facts.message_id = std::string(32, 'a');
  facts.sender_account = "alice";
  facts.recipient = "carol@gamma.test";
  facts.reason = "gamma.test refused the message: no such account";
  facts.attempts = 3;
  facts.queued_ms = 1'700'000'000'000;
  facts.given_up_ms = facts.queued_ms + 2 * 3600'000 + 5 * 60'000;
  return facts;
}

TEST(FailureNoticeTest, OpensForTheSenderAndVerifiesWithTheServerKey) {
  const crypto::KeyPair server = crypto::GenerateKeyPair();
  const crypto::KeyPair alice = crypto::GenerateKeyPair();
  const NoticeFacts facts = Facts();
  absl::StatusOr<BuiltNotice> notice =
      ComposeFailureNotice(facts, "alpha.test", alice.public_key, server);
  ASSERT_TRUE(notice.ok()) << notice.status();

  absl::StatusOr<wire::MailMessage> message =
      wire::ParseMessage(notice->message_bytes, wire::Limits{});
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ(wire::MessageId(*message), notice->message_id);
  EXPECT_EQ(message->header.src_account, "postmaster");
  EXPECT_EQ(message->header.src_domain, "alpha.test");
  EXPECT_EQ(message->header.dst_account, "alice");
  EXPECT_EQ(message->header.dst_domain, "alpha.test");

  absl::StatusOr<std::string> plaintext = crypto::OpenSealed(alice, message->body());
  ASSERT_TRUE(plaintext.ok()) << plaintext.status();
  absl::StatusOr<crypto::DecodedInner> inner = crypto::DecodeInner(*plaintext);
  ASSERT_TRUE(inner.ok()) << inner.status();
  ASSERT_TRUE(inner->structured);
  EXPECT_TRUE(crypto::VerifyInner(*inner, server.public_key));
  EXPECT_FALSE(crypto::VerifyInner(*inner, alice.public_key));
  EXPECT_EQ(inner->message.from, "postmaster@alpha.test");
  EXPECT_EQ(inner->message.to, "alice@alpha.test");
  EXPECT_EQ(inner->message.timestamp_unix_ms, facts.given_up_ms);
  EXPECT_EQ(inner->message.subject,
            "Undeliverable: message " + facts.message_id + " to carol@gamma.test");
  const std::string& text = inner->message.text;
  for (const std::string& part :
       {facts.message_id, std::string("carol@gamma.test"), facts.reason,
        std::string("Attempts: 3"), std::string("Queued: 2023-11-14 22:13:20 UTC"),
        std::string("Given up: 2023-11-15 00:18:20 UTC (after 2 h 5 min)")}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << "\nin:\n" << text;
  }

  // One log entry, by our server, for this notice.
  std::vector<crypto::LogLine> lines = crypto::ParseLogEntries(message->log());
  ASSERT_EQ(lines.size(), 1u);
  ASSERT_TRUE(lines[0].entry.has_value()) << lines[0].text;
  EXPECT_EQ(lines[0].entry->domain, "alpha.test");
  EXPECT_EQ(lines[0].entry->unix_ms, facts.given_up_ms);
  EXPECT_TRUE(
      crypto::VerifyLogEntry(*lines[0].entry, notice->message_id, server.public_key));
}

TEST(FailureNoticeTest, EachCompositionIsANewNotice) {
  const crypto::KeyPair server = crypto::GenerateKeyPair();
  const crypto::KeyPair alice = crypto::GenerateKeyPair();
  absl::StatusOr<BuiltNotice> one =
      ComposeFailureNotice(Facts(), "alpha.test", alice.public_key, server);
  absl::StatusOr<BuiltNotice> two =
      ComposeFailureNotice(Facts(), "alpha.test", alice.public_key, server);
  ASSERT_TRUE(one.ok() && two.ok());
  // Sealed boxes are random: why the queue keeps the first notice it built.
  EXPECT_NE(one->message_id, two->message_id);
}

TEST(FailureNoticeTest, TheSendersKeyBlockMustBeSignedByOurServer) {
  const crypto::KeyPair server = crypto::GenerateKeyPair();
  const crypto::KeyPair alice = crypto::GenerateKeyPair();
  absl::StatusOr<std::string> key =
      KeyFromOwnKeyBlock(crypto::MakeKeyBlock(server.secret_key.view(), alice.public_key),
                         server.public_key);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, alice.public_key);

  const crypto::KeyPair stranger = crypto::GenerateKeyPair();
  absl::StatusOr<std::string> forged = KeyFromOwnKeyBlock(
      crypto::MakeKeyBlock(stranger.secret_key.view(), alice.public_key),
      server.public_key);
  EXPECT_TRUE(client::IsCryptoFailure(forged.status())) << forged.status();
  EXPECT_FALSE(KeyFromOwnKeyBlock("garbage", server.public_key).ok());
  EXPECT_FALSE(KeyFromOwnKeyBlock(crypto::MakeNotAvailableBlock(server.secret_key.view()),
                                  server.public_key)
                   .ok());
}

}  // namespace
}  // namespace cmtp::relay
