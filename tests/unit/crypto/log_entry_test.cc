// The log's signed entries: their bytes as documented, appending (a copy or
// in place) without touching anything but the log, and reading them back.
#include "lib/crypto/log_entry.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/crypto/sodium.h"
#include "lib/wire/limits.h"
#include "lib/wire/message_id.h"
#include "lib/wire/message_parser.h"
#include "lib/wire/serializer.h"

namespace cmtp::crypto {
namespace {

using std::string_literals::operator""s;

constexpr char kMessageId[] = "00112233445566778899aabbccddeeff";
constexpr int64_t kWhen = 1700000000123;

wire::MailMessage Parse(const std::string& bytes) {
  absl::StatusOr<wire::MailMessage> message = wire::ParseMessage(bytes, wire::Limits());
  EXPECT_TRUE(message.ok()) << message.status();
  return message.ok() ? std::move(*message) : wire::MailMessage();
}

std::string MessageBytes(std::string_view log) {
  wire::MailHeader header;
  header.dst_account = "bob";
  header.dst_domain = "beta.test";
  header.src_account = "alice";
  header.src_domain = "alpha.test";
  return wire::SerializeMessage(header, log, "sealed body",
                                {"first attachment", std::string(300, '\x7f')});
}

class LogEntryTest : public ::testing::Test {
 protected:
  const KeyPair server_ = GenerateKeyPair();
};

TEST_F(LogEntryTest, SignedBytesFollowTheDocument) {
  const std::string expected = "CMTP-LOG-1\0accepted\0alpha.test\0"s +
                               "\x00\x00\x01\x8b\xcf\xe5\x68\x7b"s + kMessageId;
  EXPECT_EQ(LogEntrySignedBytes("accepted", "alpha.test", kWhen, kMessageId), expected);
}

TEST_F(LogEntryTest, EntryTextFollowsTheDocument) {
  const std::string entry =
      MakeLogEntry("alpha.test", kWhen, kMessageId, server_.secret_key.view());
  const std::string signature =
      Sign(server_.secret_key.view(),
           LogEntrySignedBytes("accepted", "alpha.test", kWhen, kMessageId));
  EXPECT_EQ(entry,
            "CMTP-LOG-1 accepted alpha.test 1700000000123 " + ToHex(signature) + "\0"s);
}

TEST_F(LogEntryTest, AppendedEntryParsesAndVerifies) {
  const std::string original = MessageBytes("older hop\0"s);
  const std::string id = wire::MessageId(Parse(original));
  absl::StatusOr<std::string> appended =
      AppendLogEntry(original, "alpha.test", kWhen, id, server_.secret_key.view(), 4096);
  ASSERT_TRUE(appended.ok()) << appended.status();

  wire::MailMessage message = Parse(*appended);
  EXPECT_EQ(message.header.log_len, message.log().size());
  EXPECT_EQ(wire::MessageId(message), id) << "the id does not cover the log";
  EXPECT_EQ(message.body(), "sealed body");
  EXPECT_EQ(message.attachment(1), std::string(300, '\x7f'));

  std::vector<LogLine> lines = ParseLogEntries(message.log());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "older hop");
  EXPECT_FALSE(lines[0].entry.has_value());
  ASSERT_TRUE(lines[1].entry.has_value());
  const LogEntry& entry = *lines[1].entry;
  EXPECT_EQ(entry.action, "accepted");
  EXPECT_EQ(entry.domain, "alpha.test");
  EXPECT_EQ(entry.unix_ms, kWhen);
  EXPECT_TRUE(VerifyLogEntry(entry, id, server_.public_key));
}

TEST_F(LogEntryTest, VerificationBindsKeyMessageDomainAndTime) {
  const std::string entry_bytes =
      MakeLogEntry("alpha.test", kWhen, kMessageId, server_.secret_key.view());
  std::vector<LogLine> lines = ParseLogEntries(entry_bytes);
  ASSERT_EQ(lines.size(), 1u);
  ASSERT_TRUE(lines[0].entry.has_value());
  LogEntry entry = *lines[0].entry;
  EXPECT_TRUE(VerifyLogEntry(entry, kMessageId, server_.public_key));
  EXPECT_FALSE(
      VerifyLogEntry(entry, "ffffffffffffffffffffffffffffffff", server_.public_key));
  EXPECT_FALSE(VerifyLogEntry(entry, kMessageId, GenerateKeyPair().public_key));
  LogEntry other_domain = entry;
  other_domain.domain = "beta.test";
  EXPECT_FALSE(VerifyLogEntry(other_domain, kMessageId, server_.public_key));
  LogEntry other_time = entry;
  other_time.unix_ms += 1;
  EXPECT_FALSE(VerifyLogEntry(other_time, kMessageId, server_.public_key));
}

TEST_F(LogEntryTest, InsertInPlaceMatchesTheCopyAndRemovesExactly) {
  const std::string original = MessageBytes("");
  wire::MailMessage message = Parse(original);
  const std::string id = wire::MessageId(message);
  const std::string entry =
      MakeLogEntry("beta.test", kWhen, id, server_.secret_key.view());

  ASSERT_TRUE(InsertLogEntry(message, entry, 4096).ok());
  absl::StatusOr<std::string> copy =
      AppendLogEntry(original, "beta.test", kWhen, id, server_.secret_key.view(), 4096);
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(message.bytes, *copy);
  // The spans follow the bytes.
  EXPECT_EQ(message.log(), entry);
  EXPECT_EQ(message.header.log_len, entry.size());
  EXPECT_EQ(message.body(), "sealed body");
  EXPECT_EQ(message.attachment(0), "first attachment");
  EXPECT_EQ(wire::MessageId(message), id);

  RemoveInsertedLogEntry(message, entry.size());
  EXPECT_EQ(message.bytes, original);
  EXPECT_EQ(message.header.log_len, 0u);
  EXPECT_EQ(message.body(), "sealed body");
  EXPECT_EQ(message.attachment(1), std::string(300, '\x7f'));
}

TEST_F(LogEntryTest, TheLimitCountsTheNewEntry) {
  const std::string entry =
      MakeLogEntry("alpha.test", kWhen, kMessageId, server_.secret_key.view());
  const std::string log(100, 'x');
  const std::string original = MessageBytes(log);

  // Exactly at the limit is fine; one byte less is not.
  EXPECT_TRUE(AppendLogEntry(original, "alpha.test", kWhen, kMessageId,
                             server_.secret_key.view(), log.size() + entry.size())
                  .ok());
  absl::StatusOr<std::string> over =
      AppendLogEntry(original, "alpha.test", kWhen, kMessageId, server_.secret_key.view(),
                     log.size() + entry.size() - 1);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);

  wire::MailMessage message = Parse(original);
  absl::Status refused = InsertLogEntry(message, entry, log.size() + entry.size() - 1);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(message.bytes, original) << "a refused insert changes nothing";
}

TEST_F(LogEntryTest, BrokenMessageBytesAreRefused) {
  const std::string original = MessageBytes("some log");
  EXPECT_FALSE(
      AppendLogEntry("short", "a", kWhen, kMessageId, server_.secret_key.view(), 4096)
          .ok());
  // The header claims a longer log than the bytes hold.
  std::string lying = original.substr(0, 40);
  EXPECT_EQ(AppendLogEntry(lying, "a", kWhen, kMessageId, server_.secret_key.view(), 4096)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(LogEntryTest, OtherTextIsKeptAsUnparsedLines) {
  const std::string good =
      MakeLogEntry("alpha.test", kWhen, kMessageId, server_.secret_key.view());
  const std::string log =
      "Received by hawaii.edu\0"s + "CMTP-LOG-1 accepted alpha.test notatime abcd\0"s +
      good + "CMTP-LOG-1 accepted  12 " + std::string(128, 'a') + "\0"s + "no terminator";
  std::vector<LogLine> lines = ParseLogEntries(log);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0].text, "Received by hawaii.edu");
  EXPECT_FALSE(lines[0].entry.has_value());
  EXPECT_FALSE(lines[1].entry.has_value());
  EXPECT_TRUE(lines[2].entry.has_value());
  EXPECT_FALSE(lines[3].entry.has_value()) << "an empty domain is not an entry";
  EXPECT_EQ(lines[4].text, "no terminator");
  EXPECT_TRUE(ParseLogEntries("").empty());
}

TEST_F(LogEntryTest, DomainsWithSpacesReadBackWhole) {
  const std::string entry =
      MakeLogEntry("odd domain", kWhen, kMessageId, server_.secret_key.view());
  std::vector<LogLine> lines = ParseLogEntries(entry);
  ASSERT_EQ(lines.size(), 1u);
  ASSERT_TRUE(lines[0].entry.has_value());
  EXPECT_EQ(lines[0].entry->domain, "odd domain");
  EXPECT_TRUE(VerifyLogEntry(*lines[0].entry, kMessageId, server_.public_key));
}

}  // namespace
}  // namespace cmtp::crypto
