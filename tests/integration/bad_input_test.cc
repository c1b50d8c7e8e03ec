// Hostile and broken input over raw sockets. After each case another client
// must still get NOOP answered and nothing may have been stored: the mailbox
// keys in Redis and alice's LIST are unchanged.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/integration/suite.h"
#include "tests/integration/wire_client.h"
#include "tests/support/ports.h"

namespace cmtp::integration {
namespace {

using ::cmtp::testing::ReadFileOrDie;
using ::cmtp::testing::VectorPath;

constexpr uint64_t kMessageCap = 32ull << 20;  // the gateway's default

// The MAIL prefix up to the end of the four strs.
std::string MailHeader(uint64_t body_len, const std::string& dst_account,
                       const std::string& src_account = "alice",
                       uint32_t attachments = 0) {
  std::string out("MAIL\0", 5);
  out += U32(1) + U32(attachments) + U64(0) + U64(body_len);
  for (const std::string& s :
       {dst_account, std::string("hawaii.edu"), src_account, std::string("hawaii.edu")}) {
    out += s;
    out.push_back('\0');
  }
  return out;
}

class IntegrationBadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    suite_ = std::make_unique<Suite>(ForDomain("hawaii.edu"));
    ASSERT_TRUE(suite_->Start()) << suite_->error();
    CommandResult imported = ImportReference(*suite_);
    ASSERT_EQ(imported.exit_code, 0) << Describe(imported) << suite_->Logs();
    server_pk_ = suite_->ServerPublicKey();
    ASSERT_EQ(server_pk_.size(), 32u);
    std::optional<std::string> sk =
        OpenV1Xzibit(ReadFileOrDie(VectorPath("alice.xzibit")), "alicepw");
    ASSERT_TRUE(sk.has_value());
    alice_sk_ = *sk;
    alice_pk_ = ReadFileOrDie(VectorPath("alice_public.key"));
    before_ = Counts();
    ASSERT_NE(before_, "") << suite_->Logs();
  }

  // Everything a partial store could leave behind, as one comparable text:
  // the mailbox keys in Redis, the set of mailboxes, and alice's LIST.
  std::string Counts() {
    std::string keys = suite_->redis().Cli({"--scan", "--pattern", "cmtp:mbox:*"});
    std::vector<std::string> lines = absl::StrSplit(keys, '\n', absl::SkipEmpty());
    std::sort(lines.begin(), lines.end());
    WireClient client;
    if (!client.Connect(suite_->gateway_port())) return "";
    std::optional<StatusReply> auth =
        Authenticate(client, "alice", "hawaii.edu", alice_sk_, server_pk_);
    if (!auth || !auth->success()) return "";
    std::optional<std::vector<ListEntry>> list = List(client);
    if (!list) return "";
    std::string out = absl::StrCat(
        "alice LIST: ", list->size(),
        "\nmailboxes: ", suite_->redis().Cli({"SCARD", "cmtp:mailboxes"}), "\nkeys:\n");
    for (const std::string& line : lines) absl::StrAppend(&out, line, "\n");
    return out;
  }

  // Another client is served, and nothing was stored.
  void ExpectUnharmed() {
    EXPECT_TRUE(NoopAnswered(suite_->gateway_port())) << suite_->Logs();
    // Give a (wrong) late store the time to show.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(Counts(), before_) << suite_->Logs();
  }

  // The connection gets a FAILURE with a reason, then is closed.
  void ExpectFailureAndClose(WireClient& client) {
    std::optional<StatusReply> status = client.ReadStatus();
    ASSERT_TRUE(status.has_value()) << "no status reply\n" << suite_->Logs();
    EXPECT_EQ(status->word, "FAILURE");
    EXPECT_FALSE(status->detail.empty()) << "a FAILURE needs a reason";
    EXPECT_TRUE(VerifyStatus(*status, server_pk_, ""))
        << "a refusal of unparseable input is signed over empty request bytes";
    EXPECT_TRUE(client.WaitClosed(std::chrono::seconds(5)))
        << "the connection stayed open after a FAILURE for unparseable input";
  }

  std::unique_ptr<Suite> suite_;
  std::string server_pk_, alice_sk_, alice_pk_;
  std::string before_;
};

TEST_F(IntegrationBadInputTest, ControlValidMailIsCounted) {
  // Shows that the checks below can see a stored message.
  Message m;
  m.dst_account = "alice";
  m.dst_domain = "hawaii.edu";
  m.src_account = "bob";
  m.src_domain = "hawaii.edu";
  m.body = SealTo("hello alice", alice_pk_);
  WireClient client;
  ASSERT_TRUE(client.Connect(suite_->gateway_port()));
  const std::string bytes = SerializeMessage(m);
  ASSERT_TRUE(client.Send(std::string("MAIL\0", 5) + bytes));
  std::optional<StatusReply> status = client.ReadStatus();
  ASSERT_TRUE(status.has_value()) << suite_->Logs();
  EXPECT_TRUE(status->success()) << status->detail;
  EXPECT_TRUE(VerifyStatus(*status, server_pk_, bytes));
  EXPECT_EQ(status->detail, MessageId(m));
  EXPECT_NE(Counts(), before_);
}

TEST_F(IntegrationBadInputTest, StrLongerThan255BytesInMail) {
  WireClient client;
  ASSERT_TRUE(client.Connect(suite_->gateway_port()));
  std::string header("MAIL\0", 5);
  header += U32(1) + U32(0) + U64(0) + U64(16);
  // dst_account: 300 bytes and no NUL in sight; nothing more is sent.
  ASSERT_TRUE(client.Send(header + std::string(300, 'a')));
  ExpectFailureAndClose(client);
  ExpectUnharmed();
}

TEST_F(IntegrationBadInputTest, StrLongerThan255BytesInKeyRequest) {
  WireClient client;
  ASSERT_TRUE(client.Connect(suite_->gateway_port()));
  ASSERT_TRUE(client.Send(std::string("KEYREQUEST\0", 11) + std::string(300, 'b')));
  ExpectFailureAndClose(client);
  ExpectUnharmed();
}

TEST_F(IntegrationBadInputTest, OversizeBodyIsRefusedBeforeThePayload) {
  WireClient client;
  ASSERT_TRUE(client.Connect(suite_->gateway_port()));
  const std::string header = MailHeader(kMessageCap + 1, "alice");
  // The fixed part first: a server may refuse as soon as it has the sizes.
  ASSERT_TRUE(client.Send(header.substr(0, 5 + 24)));
  client.set_timeout(std::chrono::milliseconds(500));
  std::optional<StatusReply> early = client.ReadStatus();
  client.set_timeout(std::chrono::seconds(10));
  if (!early.has_value()) {
    // Or once it knows the envelope too; still no body byte is sent.
    ASSERT_TRUE(client.Send(header.substr(5 + 24)));
    early = client.ReadStatus();
  }
  ASSERT_TRUE(early.has_value()) << "no reply to an oversize MAIL header\n"
                                 << suite_->Logs();
  EXPECT_EQ(early->word, "FAILURE");
  EXPECT_FALSE(early->detail.empty());
  EXPECT_TRUE(VerifyStatus(*early, server_pk_, ""));
  EXPECT_TRUE(client.WaitClosed(std::chrono::seconds(5)));
  ExpectUnharmed();
}

TEST_F(IntegrationBadInputTest, TooManyAttachmentsIsRefusedBeforeThePayload) {
  WireClient client;
  ASSERT_TRUE(client.Connect(suite_->gateway_port()));
  ASSERT_TRUE(client.Send(MailHeader(10, "alice", "bob", 65)));
  ExpectFailureAndClose(client);
  ExpectUnharmed();
}

TEST_F(IntegrationBadInputTest, UnknownCommand) {
  WireClient client;
  ASSERT_TRUE(client.Connect(suite_->gateway_port()));
  ASSERT_TRUE(client.Send(std::string("FROBNICATE\0", 11)));
  std::optional<StatusReply> status = client.ReadStatus();
  ASSERT_TRUE(status.has_value()) << suite_->Logs();
  EXPECT_EQ(status->word, "FAILURE");
  EXPECT_NE(absl::AsciiStrToLower(status->detail).find("unknown command"),
            std::string::npos)
      << status->detail;
  // A refusal before a whole request was read is signed over empty request
  // bytes (docs/protocol.md, status reply).
  EXPECT_TRUE(VerifyStatus(*status, server_pk_, ""))
      << "the FAILURE is not signed by the server key";
  EXPECT_TRUE(client.WaitClosed(std::chrono::seconds(5)));
  ExpectUnharmed();
}

TEST_F(IntegrationBadInputTest, RandomGarbage) {
  std::mt19937 random(20240611);  // fixed seed: the same bytes every run
  for (int round = 0; round < 5; ++round) {
    std::string garbage(1, static_cast<char>(0x80 | (random() & 0x7f)));  // not a word
    for (int i = 0; i < 64; ++i) garbage.push_back(static_cast<char>(random() & 0xff));
    WireClient client;
    ASSERT_TRUE(client.Connect(suite_->gateway_port()));
    ASSERT_TRUE(client.Send(garbage));
    ExpectFailureAndClose(client);
  }
  ExpectUnharmed();
}

TEST_F(IntegrationBadInputTest, PeerClosesMidMail) {
  {
    WireClient client;
    ASSERT_TRUE(client.Connect(suite_->gateway_port()));
    ASSERT_TRUE(client.Send(MailHeader(1000, "alice", "bob") + std::string(500, 'x')));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }  // closed with half the body sent
  {
    // And one that stops between two attachments.
    WireClient client;
    ASSERT_TRUE(client.Connect(suite_->gateway_port()));
    ASSERT_TRUE(client.Send(MailHeader(10, "alice", "bob", 2) + std::string(10, 'y') +
                            U64(4) + "abcd" + U64(100) + "partial"));
  }
  ExpectUnharmed();
}

TEST_F(IntegrationBadInputTest, WrongPasswordForAReferenceAccount) {
  User alice = MakeUser(*suite_, "alice", "not-alicepw");
  CommandResult inbox = RunCli(*suite_, alice, "inbox");
  EXPECT_NE(inbox.exit_code, 0) << Describe(inbox);
  EXPECT_NE(absl::AsciiStrToLower(inbox.err).find("password"), std::string::npos)
      << "no clear message: " << Describe(inbox);
  ExpectUnharmed();
}

TEST_F(IntegrationBadInputTest, MailForAnUnknownAccountIsRefused) {
  Message m;
  m.dst_account = "nobody";
  m.dst_domain = "hawaii.edu";
  m.src_account = "bob";
  m.src_domain = "hawaii.edu";
  m.body = SealTo("hello nobody", alice_pk_);
  const std::string bytes = SerializeMessage(m);
  WireClient client;
  ASSERT_TRUE(client.Connect(suite_->gateway_port()));
  ASSERT_TRUE(client.Send(std::string("MAIL\0", 5) + bytes));
  std::optional<StatusReply> status = client.ReadStatus();
  ASSERT_TRUE(status.has_value()) << suite_->Logs();
  EXPECT_EQ(status->word, "FAILURE");
  EXPECT_NE(status->detail.find("nobody"), std::string::npos)
      << "the reason should name the account: " << status->detail;
  EXPECT_TRUE(VerifyStatus(*status, server_pk_, bytes));
  // A well-formed MAIL for an unknown account is not a protocol error: the
  // session goes on.
  ASSERT_TRUE(client.Send(std::string("NOOP\0", 5)));
  std::optional<std::string> noop = client.ReadExact(5);
  ASSERT_TRUE(noop.has_value());
  EXPECT_EQ(*noop, std::string("O_O\n\0", 5));
  ExpectUnharmed();
}

TEST_F(IntegrationBadInputTest, WrongPasswordForANewAccount) {
  User carol = MakeUser(*suite_, "carol", "carol's good password");
  CommandResult registered = RunCli(*suite_, carol, "register");
  ASSERT_EQ(registered.exit_code, 0) << Describe(registered) << suite_->Logs();
  User intruder = OtherDevice(*suite_, carol);
  intruder.password_file = suite_->WriteFile("wrong", "carol's bad password");
  CommandResult inbox = RunCli(*suite_, intruder, "inbox");
  EXPECT_NE(inbox.exit_code, 0) << Describe(inbox);
  EXPECT_NE(absl::AsciiStrToLower(inbox.err).find("password"), std::string::npos)
      << "no clear message: " << Describe(inbox);
  // The right password still works from that device.
  intruder.password_file = carol.password_file;
  CommandResult good = RunCli(*suite_, intruder, "inbox");
  EXPECT_EQ(good.exit_code, 0) << Describe(good);
  EXPECT_TRUE(NoopAnswered(suite_->gateway_port()));
}

TEST_F(IntegrationBadInputTest, ForgedAuthIsRefused) {
  WireClient client;
  ASSERT_TRUE(client.Connect(suite_->gateway_port()));
  auto [other_pk, other_sk] = NewSigningKey();
  std::string request;
  std::optional<StatusReply> auth =
      Authenticate(client, "alice", "hawaii.edu", other_sk, server_pk_, &request);
  ASSERT_TRUE(auth.has_value()) << suite_->Logs();
  EXPECT_EQ(auth->word, "FAILURE");
  EXPECT_TRUE(VerifyStatus(*auth, server_pk_, request));
  // Not authenticated: LIST is refused on this connection.
  EXPECT_FALSE(List(client).has_value());
  // A proof made for another server's key is refused too.
  WireClient relayed;
  ASSERT_TRUE(relayed.Connect(suite_->gateway_port()));
  auth = Authenticate(relayed, "alice", "hawaii.edu", alice_sk_, other_pk);
  ASSERT_TRUE(auth.has_value());
  EXPECT_EQ(auth->word, "FAILURE");
  // While alice's own key, for this server, is accepted.
  WireClient genuine;
  ASSERT_TRUE(genuine.Connect(suite_->gateway_port()));
  auth = Authenticate(genuine, "alice", "hawaii.edu", alice_sk_, server_pk_);
  ASSERT_TRUE(auth.has_value());
  EXPECT_TRUE(auth->success()) << auth->detail;
  ExpectUnharmed();
}

}  // namespace
}  // namespace cmtp::integration
