// A SUCCESS is a promise: the message survives a kill -9 of the mailstore
// and of redis-server itself (AOF, appendfsync always).
#include <gtest/gtest.h>

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tests/integration/suite.h"
#include "tests/integration/wire_client.h"
#include "tests/support/ports.h"

namespace cmtp::integration {
namespace {

using ::cmtp::testing::ReadFileOrDie;
using ::cmtp::testing::VectorPath;
using ::cmtp::testing::WaitFor;

constexpr auto kRecovery = std::chrono::seconds(30);

TEST(IntegrationDurabilityTest, MailSurvivesKill9OfTheMailstore) {
  Suite suite(ForDomain("hawaii.edu"));
  ASSERT_TRUE(suite.Start()) << suite.error();
  CommandResult imported = ImportReference(suite);
  ASSERT_EQ(imported.exit_code, 0) << Describe(imported) << suite.Logs();
  const std::string server_pk = suite.ServerPublicKey();
  std::optional<std::string> alice_sk =
      OpenV1Xzibit(ReadFileOrDie(VectorPath("alice.xzibit")), "alicepw");
  ASSERT_TRUE(alice_sk.has_value());

  Message m;
  m.dst_account = "alice";
  m.dst_domain = "hawaii.edu";
  m.src_account = "bob";
  m.src_domain = "hawaii.edu";
  const std::string alice_pk = ReadFileOrDie(VectorPath("alice_public.key"));
  m.body = SealTo("survives kill -9", alice_pk);
  m.attachments = {SealTo(std::string(255, '\0') + "attachment", alice_pk)};
  const std::string bytes = SerializeMessage(m);
  {
    WireClient client;
    ASSERT_TRUE(client.Connect(suite.gateway_port()));
    ASSERT_TRUE(client.Send(std::string("MAIL\0", 5) + bytes));
    std::optional<StatusReply> status = client.ReadStatus();
    ASSERT_TRUE(status.has_value()) << suite.Logs();
    ASSERT_TRUE(status->success()) << status->detail << suite.Logs();
    ASSERT_TRUE(VerifyStatus(*status, server_pk, bytes));
    ASSERT_EQ(status->detail, MessageId(m));
  }

  ASSERT_TRUE(suite.Restart(Service::kMailstore)) << suite.error();

  // The gateway reconnects to the new mailstore; the message is listed...
  std::optional<std::vector<ListEntry>> list;
  bool listed = WaitFor(
      [&] {
        WireClient client;
        if (!client.Connect(suite.gateway_port())) return false;
        std::optional<StatusReply> auth =
            Authenticate(client, "alice", "hawaii.edu", *alice_sk, server_pk);
        if (!auth || !auth->success()) return false;
        list = List(client);
        return list.has_value();
      },
      kRecovery);
  ASSERT_TRUE(listed) << "LIST never succeeded after the mailstore restart"
                      << suite.Logs();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, MessageId(m));
  EXPECT_EQ((*list)[0].src_account, "bob");

  // ... and FETCH returns the same message.
  WireClient client;
  ASSERT_TRUE(client.Connect(suite.gateway_port()));
  std::optional<StatusReply> auth =
      Authenticate(client, "alice", "hawaii.edu", *alice_sk, server_pk);
  ASSERT_TRUE(auth.has_value() && auth->success());
  ASSERT_TRUE(client.Send(std::string("FETCH\0", 6) + MessageId(m) + '\0'));
  std::optional<StatusReply> fetched = client.ReadStatus();
  ASSERT_TRUE(fetched.has_value() && fetched->success()) << suite.Logs();
  std::optional<std::string> len = client.ReadExact(8);
  ASSERT_TRUE(len.has_value());
  std::optional<std::string> stored = client.ReadExact(ReadU64(*len));
  ASSERT_TRUE(stored.has_value());
  std::optional<Message> parsed = ParseMessage(*stored);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->body, m.body);
  EXPECT_EQ(parsed->attachments, m.attachments);
  EXPECT_EQ(MessageId(*parsed), MessageId(m));
}

TEST(IntegrationDurabilityTest, MailSurvivesKill9OfRedis) {
  Suite suite;
  ASSERT_TRUE(suite.Start()) << suite.error();
  User alice = MakeUser(suite, "alice", "alice durable password");
  User bob = MakeUser(suite, "bob", "bob durable password");
  for (const User* user : {&alice, &bob}) {
    CommandResult r = RunCli(suite, *user, "register");
    ASSERT_EQ(r.exit_code, 0) << Describe(r) << suite.Logs();
  }
  const std::string text = "written before the crash\n";
  CommandResult sent = RunCli(suite, alice, "send",
                              {"--to", bob.account, "--subject", "crash test"}, text);
  ASSERT_EQ(sent.exit_code, 0) << Describe(sent) << suite.Logs();
  const std::string id(absl::StripAsciiWhitespace(sent.out));
  ASSERT_EQ(id.size(), 32u) << Describe(sent);

  // No shutdown save: only what was fsynced to the AOF comes back.
  ASSERT_TRUE(suite.RestartRedis()) << suite.error();

  CommandResult inbox;
  bool listed = WaitFor(
      [&] {
        inbox = RunCli(suite, bob, "inbox");
        return inbox.exit_code == 0;
      },
      kRecovery);
  ASSERT_TRUE(listed) << "bob's inbox never answered after the Redis restart: "
                      << Describe(inbox) << suite.Logs();
  EXPECT_TRUE(absl::StrContains(inbox.out, id)) << Describe(inbox);

  std::string out_dir = suite.NewDir("read");
  CommandResult read = RunCli(suite, bob, "read", {id, "--out-dir", out_dir});
  ASSERT_EQ(read.exit_code, 0) << Describe(read) << suite.Logs();
  EXPECT_TRUE(absl::StrContains(read.out, text)) << Describe(read);
  EXPECT_TRUE(absl::StrContains(read.out, "Signature: verified")) << Describe(read);
  EXPECT_TRUE(absl::StrContains(read.out, "Subject: crash test")) << Describe(read);

  // The accounts survived too: a new device logs in with the password alone.
  User bob_again = OtherDevice(suite, bob);
  CommandResult again = RunCli(suite, bob_again, "inbox");
  EXPECT_EQ(again.exit_code, 0) << Describe(again);
  EXPECT_TRUE(absl::StrContains(again.out, id)) << Describe(again);
}

TEST(IntegrationDurabilityTest, GatewayAndKeyserverRestartsKeepServing) {
  Suite suite;
  ASSERT_TRUE(suite.Start()) << suite.error();
  User carol = MakeUser(suite, "carol", "carol restart password");
  CommandResult r = RunCli(suite, carol, "register");
  ASSERT_EQ(r.exit_code, 0) << Describe(r) << suite.Logs();
  const std::string server_pk = suite.ServerPublicKey();
  ASSERT_TRUE(suite.Restart(Service::kKeyserver)) << suite.error();
  // The same server key after a restart: the file is reused, not replaced.
  EXPECT_EQ(suite.ServerPublicKey(), server_pk);
  ASSERT_TRUE(suite.Restart(Service::kGateway)) << suite.error();
  EXPECT_TRUE(NoopAnswered(suite.gateway_port()));
  bool served = WaitFor(
      [&] {
        r = RunCli(suite, OtherDevice(suite, carol), "inbox");
        return r.exit_code == 0;
      },
      kRecovery);
  EXPECT_TRUE(served) << Describe(r) << suite.Logs();
}

}  // namespace
}  // namespace cmtp::integration
