// The reference implementation's bytes against a whole suite serving its
// domain, hawaii.edu, after `cmtpctl import-reference`.
#include <gtest/gtest.h>

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/integration/suite.h"
#include "tests/integration/wire_client.h"
#include "tests/support/ports.h"

namespace cmtp::integration {
namespace {

using ::cmtp::testing::ReadFileOrDie;
using ::cmtp::testing::RunCommand;
using ::cmtp::testing::VectorPath;

class IntegrationReferenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    suite_ = std::make_unique<Suite>(ForDomain("hawaii.edu"));
    ASSERT_TRUE(suite_->Start()) << suite_->error();
    CommandResult imported = ImportReference(*suite_);
    ASSERT_EQ(imported.exit_code, 0) << Describe(imported) << suite_->Logs();
    server_pk_ = suite_->ServerPublicKey();
    ASSERT_EQ(server_pk_.size(), 32u);
  }

  // Raw bytes of a Redis string (redis-cli prints them followed by "\n").
  std::string RedisGet(const std::string& key) {
    CommandResult r = RunCommand(
        {"/usr/bin/redis-cli", "-p", std::to_string(suite_->redis().port()), "GET", key});
    if (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r.out;
  }

  std::unique_ptr<Suite> suite_;
  std::string server_pk_;
};

TEST_F(IntegrationReferenceTest, ReferenceClientMailIsAcceptedAndStoredForBob) {
  const std::string capture = ReadFileOrDie(VectorPath("mail_from_alice_client.bin"));
  ASSERT_EQ(capture.substr(0, 5), std::string("MAIL\0", 5));
  ASSERT_EQ(capture.substr(capture.size() - 5), std::string("OBAI\0", 5));
  const std::string message_bytes = capture.substr(5, capture.size() - 10);
  std::optional<Message> message = ParseMessage(message_bytes);
  ASSERT_TRUE(message.has_value());
  ASSERT_EQ(message->dst_account, "bob");

  WireClient client;
  ASSERT_TRUE(client.Connect(suite_->gateway_port())) << suite_->Logs();
  // Exactly what the reference client wrote: MAIL and OBAI back to back.
  ASSERT_TRUE(client.Send(capture));
  std::optional<StatusReply> status = client.ReadStatus();
  ASSERT_TRUE(status.has_value()) << suite_->Logs();
  ASSERT_TRUE(status->success()) << status->detail << "\n" << suite_->Logs();
  EXPECT_TRUE(VerifyStatus(*status, server_pk_, message_bytes))
      << "the SUCCESS is not signed by the server key over the message bytes";
  const std::string id = MessageId(*message);
  EXPECT_EQ(status->detail, id);
  std::optional<std::string> bye = client.ReadExact(10);
  ASSERT_TRUE(bye.has_value());
  EXPECT_EQ(*bye, std::string("Good bye\n\0", 10));
  std::string rest;
  EXPECT_TRUE(client.WaitClosed(std::chrono::seconds(5), &rest));
  EXPECT_EQ(rest, "") << "bytes after Good bye";

  // In bob's mailbox: the operator's view...
  CommandResult stats = suite_->Cmtpctl({"stats", "bob"});
  EXPECT_EQ(stats.exit_code, 0) << Describe(stats);
  EXPECT_TRUE(absl::StrContains(stats.out, "1 message")) << Describe(stats);
  // ... and Redis itself: one blob under this id, in a mailbox named for bob,
  // holding the same envelope, body and attachments (hops may append to the
  // log only).
  std::string keys =
      suite_->redis().Cli({"--scan", "--pattern", absl::StrCat("cmtp:mbox:*:blob:", id)});
  ASSERT_NE(keys, "") << "no blob stored for " << id;
  ASSERT_EQ(keys.find('\n'), std::string::npos) << keys;
  EXPECT_NE(keys.find("bob"), std::string::npos) << keys;
  std::optional<Message> stored = ParseMessage(RedisGet(keys));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->crypto_type, message->crypto_type);
  EXPECT_EQ(stored->dst_account, message->dst_account);
  EXPECT_EQ(stored->dst_domain, message->dst_domain);
  EXPECT_EQ(stored->src_account, message->src_account);
  EXPECT_EQ(stored->src_domain, message->src_domain);
  EXPECT_EQ(stored->body, message->body);
  EXPECT_EQ(stored->attachments, message->attachments);
  EXPECT_EQ(stored->log.substr(0, message->log.size()), message->log);
  std::string index = keys.substr(0, keys.find(":blob:")) + ":index";
  EXPECT_EQ(suite_->redis().Cli({"ZCARD", index}), "1");
  EXPECT_EQ(suite_->redis().Cli({"ZSCORE", index, id}).empty(), false);
}

TEST_F(IntegrationReferenceTest, KeyRequestsAnswerWithImportedKeys) {
  const std::string alice_pk = ReadFileOrDie(VectorPath("alice_public.key"));
  WireClient client;
  ASSERT_TRUE(client.Connect(suite_->gateway_port())) << suite_->Logs();
  // The server's own key, self-signed: the one in server.key.
  ASSERT_TRUE(client.Send(std::string("KEYREQUEST\0\0", 12)));
  std::optional<std::string> block = client.ReadExact(102);
  ASSERT_TRUE(block.has_value());
  EXPECT_EQ(ReadU32(*block), 1u);
  EXPECT_EQ(block->substr(4, 32), server_pk_);
  EXPECT_TRUE(Verify(server_pk_, block->substr(37, 64), server_pk_));
  // As the reference client sends it: one extra trailing NUL, ignored.
  ASSERT_TRUE(client.Send(std::string("KEYREQUEST\0alice\0hawaii.edu\0\0", 29)));
  block = client.ReadExact(102);
  ASSERT_TRUE(block.has_value());
  EXPECT_EQ(ReadU32(*block), 1u);
  EXPECT_EQ(block->substr(4, 32), alice_pk);
  EXPECT_EQ((*block)[36], '\0');
  EXPECT_EQ((*block)[101], '\0');
  EXPECT_TRUE(Verify(block->substr(4, 32), block->substr(37, 64), server_pk_))
      << "alice's key block is not signed by the server";
  // An unknown account: the signed key-not-available block.
  ASSERT_TRUE(client.Send(std::string("KEYREQUEST\0nobody\0hawaii.edu\0", 29)));
  block = client.ReadExact(85);
  ASSERT_TRUE(block.has_value());
  EXPECT_EQ(block->substr(0, 20), std::string("\0\0\0\0KEYNOTAVAILABLE\0", 20));
  EXPECT_TRUE(Verify(block->substr(4, 16), block->substr(20, 64), server_pk_));
  ASSERT_TRUE(client.Send(std::string("NOOP\0", 5)));
  std::optional<std::string> noop = client.ReadExact(5);
  ASSERT_TRUE(noop.has_value());
  EXPECT_EQ(*noop, std::string("O_O\n\0", 5));
}

TEST_F(IntegrationReferenceTest, ImportingTwiceChangesNothing) {
  // Accounts are hashes; their whole content and the account set must stay.
  // (Field by field: a rewrite may reorder a hash.)
  auto snapshot = [this] {
    std::string out = suite_->redis().Cli({"SCARD", "cmtp:accounts"});
    for (const char* account : {"cmtp:acct:{alice}", "cmtp:acct:{bob}"}) {
      for (const char* field : {"public_key", "xzibit", "xzibit_version", "created_ms"}) {
        absl::StrAppend(&out, suite_->redis().Cli({"HGET", account, field}));
      }
    }
    return out;
  };
  const std::string before = snapshot();
  ASSERT_NE(before.find("2"), std::string::npos) << before;
  CommandResult again = ImportReference(*suite_);
  EXPECT_EQ(again.exit_code, 0) << Describe(again) << suite_->Logs();
  CommandResult list = suite_->Cmtpctl({"accounts", "list"});
  ASSERT_EQ(list.exit_code, 0) << Describe(list);
  EXPECT_TRUE(absl::StrContains(list.out, "alice")) << list.out;
  EXPECT_TRUE(absl::StrContains(list.out, "bob")) << list.out;
  EXPECT_EQ(snapshot(), before);
}

TEST_F(IntegrationReferenceTest, AliceLogsInWithHerReferencePassword) {
  const std::string xzibit = ReadFileOrDie(VectorPath("alice.xzibit"));
  // LOGIN for a v1 account with open v1 login: the reference's bytes, the
  // xzibit followed by the server's signature over it.
  {
    WireClient client;
    ASSERT_TRUE(client.Connect(suite_->gateway_port())) << suite_->Logs();
    ASSERT_TRUE(client.Send(std::string("LOGIN\0alice\0", 12)));
    std::optional<std::string> reply = client.ReadExact(156 + 64);
    ASSERT_TRUE(reply.has_value()) << suite_->Logs();
    EXPECT_EQ(reply->substr(0, 156), xzibit);
    EXPECT_TRUE(Verify(xzibit, reply->substr(156), server_pk_));
  }
  // The CLI on a fresh device: LOGIN, open with "alicepw", AUTH, LIST.
  User alice = MakeUser(*suite_, "alice", "alicepw");
  CommandResult inbox = RunCli(*suite_, alice, "inbox");
  EXPECT_EQ(inbox.exit_code, 0) << Describe(inbox) << suite_->Logs();
  // The same over raw CMTP: the key the xzibit holds authenticates alice.
  std::optional<std::string> secret_key = OpenV1Xzibit(xzibit, "alicepw");
  ASSERT_TRUE(secret_key.has_value());
  WireClient client;
  ASSERT_TRUE(client.Connect(suite_->gateway_port()));
  std::string request;
  std::optional<StatusReply> auth =
      Authenticate(client, "alice", "hawaii.edu", *secret_key, server_pk_, &request);
  ASSERT_TRUE(auth.has_value()) << suite_->Logs();
  EXPECT_TRUE(auth->success()) << auth->detail;
  EXPECT_TRUE(VerifyStatus(*auth, server_pk_, request));
  std::optional<std::vector<ListEntry>> list = List(client);
  ASSERT_TRUE(list.has_value());
  EXPECT_TRUE(list->empty());
}

}  // namespace
}  // namespace cmtp::integration
