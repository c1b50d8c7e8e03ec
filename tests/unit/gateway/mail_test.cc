// MAIL through a real session: receipts, refusals, limits, vanishing peers.
#include <chrono>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/unit/gateway/test_util.h"

namespace cmtp::gateway::testing {
namespace {

using std::string_literals::operator""s;

HarnessOptions SmallLimits() {
  HarnessOptions options;
  options.listener.session.limits.max_message = 4096;
  options.listener.session.limits.max_log = 512;
  options.listener.session.limits.max_attachments = 4;
  return options;
}

// This gateway's log entry for the message `id`.
std::string EntryOf(const GatewayHarness& harness, const std::string& id) {
  return ExpectedLogEntry(harness.domain(), HarnessOptions().now_unix_ms, id,
                          harness.server_key().secret_key.view());
}

class GatewayMailTest : public ::testing::Test {
 protected:
  GatewayMailTest() : harness_(SmallLimits()) {}
  void SetUp() override { AddReferenceAccounts(harness_); }
  GatewayHarness harness_;
};

TEST_F(GatewayMailTest, LocalDeliveryIsAcknowledgedWithASignedReceipt) {
  TestMail mail;
  mail.log = "hop one\0"s;
  mail.attachments = {"first attachment", std::string(100, '\xab')};
  auto client = ConnectAndGreet(harness_);
  client->Send(mail.Request());
  ParsedStatus status = client->ReadStatus();
  ASSERT_TRUE(status.success()) << status.word << " " << status.detail;
  EXPECT_EQ(status.detail, mail.ExpectedId());
  // The receipt covers exactly the message bytes.
  EXPECT_TRUE(SignedByServer(harness_, status, mail.MessageBytes()));

  auto stored = harness_.mailboxes().Messages("bob");
  ASSERT_EQ(stored.size(), 1u);
  // Stored with this server's signed entry appended to the log.
  EXPECT_EQ(stored[0].blob,
            WithLogEntry(mail.MessageBytes(), EntryOf(harness_, mail.ExpectedId())));
  EXPECT_EQ(stored[0].meta.message_id, mail.ExpectedId());
  EXPECT_EQ(stored[0].meta.src_account, "alice");
  EXPECT_EQ(stored[0].meta.src_domain, "hawaii.edu");

  // The session goes on.
  client->Send("NOOP\0"s);
  EXPECT_EQ(client->Read(5), "O_O\n\0"s);
}

TEST_F(GatewayMailTest, TheReferenceClientsBytesAreAcceptedThenGoodBye) {
  std::string capture = Vector("mail_from_alice_client.bin");
  ASSERT_EQ(capture.substr(0, 5), "MAIL\0"s);
  ASSERT_EQ(capture.substr(capture.size() - 5), "OBAI\0"s);
  const std::string message = capture.substr(5, capture.size() - 10);

  auto client = ConnectAndGreet(harness_);
  client->Send(capture);  // in one write, as the reference client does
  ParsedStatus status = client->ReadStatus();
  ASSERT_TRUE(status.success()) << status.detail;
  EXPECT_TRUE(SignedByServer(harness_, status, message));
  EXPECT_EQ(client->Read(10), "Good bye\n\0"s);
  EXPECT_TRUE(client->WaitForClose());

  auto stored = harness_.mailboxes().Messages("bob");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].blob, WithLogEntry(message, EntryOf(harness_, status.detail)));
  EXPECT_EQ(stored[0].meta.message_id, status.detail);
}

TEST_F(GatewayMailTest, ForeignDomainIsRefusedWithTheReason) {
  TestMail mail;
  mail.dst_domain = "example.org";
  auto client = ConnectAndGreet(harness_);
  client->Send(mail.Request());
  ParsedStatus status = client->ReadStatus();
  EXPECT_EQ(status.word, "FAILURE");
  EXPECT_EQ(status.detail,
            "cannot deliver to example.org: this server delivers only to hawaii.edu (no "
            "relay configured)");
  EXPECT_TRUE(SignedByServer(harness_, status, mail.MessageBytes()));
  EXPECT_EQ(harness_.mailboxes().TotalMessages(), 0u);
  // A refusal of a whole message leaves the stream in sync.
  client->Send("NOOP\0"s);
  EXPECT_EQ(client->Read(5), "O_O\n\0"s);
}

TEST_F(GatewayMailTest, TheLogLimitCountsThisServersEntry) {
  const size_t entry_size = EntryOf(harness_, std::string(32, '0')).size();
  TestMail fits;
  fits.log = std::string(512 - entry_size, 'l');  // 512: the harness's limit
  TestMail too_long = fits;
  too_long.log.push_back('l');

  auto client = ConnectAndGreet(harness_);
  client->Send(too_long.Request());
  ParsedStatus refused = client->ReadStatus();
  EXPECT_EQ(refused.word, "FAILURE");
  EXPECT_EQ(refused.detail, "the log would exceed 512 bytes with this server's entry");
  EXPECT_TRUE(SignedByServer(harness_, refused, too_long.MessageBytes()));
  EXPECT_EQ(harness_.mailboxes().TotalMessages(), 0u);

  client->Send(fits.Request());
  ParsedStatus accepted = client->ReadStatus();
  ASSERT_TRUE(accepted.success()) << accepted.detail;
  EXPECT_TRUE(SignedByServer(harness_, accepted, fits.MessageBytes()));
  auto stored = harness_.mailboxes().Messages("bob");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].blob,
            WithLogEntry(fits.MessageBytes(), EntryOf(harness_, fits.ExpectedId())));
}

TEST_F(GatewayMailTest, DomainComparesWithoutCase) {
  TestMail mail;
  mail.dst_domain = "Hawaii.EDU";
  auto client = ConnectAndGreet(harness_);
  client->Send(mail.Request());
  EXPECT_TRUE(client->ReadStatus().success());
  EXPECT_EQ(harness_.mailboxes().Messages("bob").size(), 1u);
}

TEST_F(GatewayMailTest, UnknownRecipientIsRefused) {
  TestMail mail;
  mail.dst_account = "carol";
  auto client = ConnectAndGreet(harness_);
  client->Send(mail.Request());
  ParsedStatus status = client->ReadStatus();
  EXPECT_EQ(status.word, "FAILURE");
  EXPECT_EQ(status.detail, "no such account: carol@hawaii.edu");
  EXPECT_TRUE(SignedByServer(harness_, status, mail.MessageBytes()));
  EXPECT_EQ(harness_.mailboxes().TotalMessages(), 0u);
}

TEST_F(GatewayMailTest, RecipientLookupsAreCachedBriefly) {
  auto client = ConnectAndGreet(harness_);
  for (int i = 0; i < 3; ++i) {
    TestMail mail;
    mail.body = "body number " + std::to_string(i);
    client->Send(mail.Request());
    ASSERT_TRUE(client->ReadStatus().success());
  }
  EXPECT_EQ(harness_.keys().account_key_lookups(), 1);
  EXPECT_EQ(harness_.mailboxes().Messages("bob").size(), 3u);
}

TEST_F(GatewayMailTest, StorageFailureIsReportedAndNothingAcknowledged) {
  harness_.mailboxes().SetPutError(absl::UnavailableError("mailstore unavailable: down"));
  TestMail mail;
  auto client = ConnectAndGreet(harness_);
  client->Send(mail.Request());
  ParsedStatus status = client->ReadStatus();
  EXPECT_EQ(status.word, "FAILURE");
  EXPECT_EQ(status.detail, "mailstore unavailable: down");
  // Signed over the very bytes that were handed to the store and back.
  EXPECT_TRUE(SignedByServer(harness_, status, mail.MessageBytes()));
}

TEST_F(GatewayMailTest, KeyserverOutageIsReportedForTheRecipientCheck) {
  harness_.keys().SetOutage(absl::UnavailableError("keyserver unavailable: down"));
  TestMail mail;
  auto client = ConnectAndGreet(harness_);
  client->Send(mail.Request());
  ParsedStatus status = client->ReadStatus();
  EXPECT_EQ(status.word, "FAILURE");
  EXPECT_EQ(status.detail, "keyserver unavailable: down");
  EXPECT_EQ(harness_.mailboxes().TotalMessages(), 0u);
}

TEST_F(GatewayMailTest, OversizeBodyIsRefusedBeforeThePayload) {
  TestMail mail;
  mail.body = std::string(8192, 'x');  // over the 4096-byte cap
  std::string request = mail.Request();
  // Only the header: the server must answer without waiting for the body.
  std::string header_only = request.substr(0, request.size() - mail.body.size());
  auto client = ConnectAndGreet(harness_);
  client->Send(header_only);
  ParsedStatus status = client->ReadStatus();
  EXPECT_EQ(status.word, "FAILURE");
  EXPECT_FALSE(status.detail.empty());
  EXPECT_TRUE(SignedByServer(harness_, status, ""));
  EXPECT_TRUE(client->WaitForClose());
  EXPECT_EQ(harness_.mailboxes().TotalMessages(), 0u);
}

TEST_F(GatewayMailTest, OversizeMailSentWholeStillGetsItsFailure) {
  // A client that writes the whole oversize message before reading must
  // still find the FAILURE, not a connection reset.
  TestMail mail;
  mail.body = std::string(200 * 1024, 'x');
  auto client = ConnectAndGreet(harness_);
  client->Send(mail.Request());
  ParsedStatus status = client->ReadStatus();
  EXPECT_EQ(status.word, "FAILURE");
  EXPECT_TRUE(client->WaitForClose());
  EXPECT_EQ(harness_.mailboxes().TotalMessages(), 0u);
}

TEST_F(GatewayMailTest, PeerVanishingMidMailStoresNothing) {
  TestMail mail;
  mail.body = std::string(3000, 'y');
  std::string request = mail.Request();
  {
    auto client = ConnectAndGreet(harness_);
    client->Send(request.substr(0, request.size() - 100));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    client->Close();
  }
  ASSERT_TRUE(cmtp::testing::WaitFor([&] { return harness_.sessions() == 0; }));
  EXPECT_EQ(harness_.mailboxes().TotalMessages(), 0u);

  // The server is unharmed: the next client's mail goes through.
  auto next = ConnectAndGreet(harness_);
  next->Send(request);
  EXPECT_TRUE(next->ReadStatus().success());
  EXPECT_EQ(harness_.mailboxes().TotalMessages(), 1u);
}

TEST(GatewayLargeMailTest, MessageOfManyReadChunksArrivesIntact) {
  GatewayHarness harness;
  AddReferenceAccounts(harness);
  TestMail mail;
  mail.body.resize(3 * 1024 * 1024 + 17);
  for (size_t i = 0; i < mail.body.size(); ++i) mail.body[i] = static_cast<char>(i * 7);
  auto client = ConnectAndGreet(harness);
  client->Send(mail.Request());
  ParsedStatus status = client->ReadStatus();
  ASSERT_TRUE(status.success()) << status.detail;
  EXPECT_EQ(status.detail, mail.ExpectedId());
  auto stored = harness.mailboxes().Messages("bob");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_TRUE(stored[0].blob ==
              WithLogEntry(mail.MessageBytes(), EntryOf(harness, mail.ExpectedId())));
}

}  // namespace
}  // namespace cmtp::gateway::testing
