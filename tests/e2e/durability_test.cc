// SUCCESS is a promise: a mail acknowledged by the gateway survives a kill -9
// of the mailstore or of Redis itself (restarted on the same data).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/strip.h"
#include "lib/wire/serializer.h"
#include "tests/e2e/raw_client.h"
#include "tests/e2e/suite.h"
#include "tests/support/ports.h"

namespace cmtp::testing {
namespace {

using ::testing::HasSubstr;

class DurabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(suite_.Start()) << "suite failed to start; logs in " << suite_.dir();
    alice_ = MakeTempDir("cmtp-alice-");
    bob_ = MakeTempDir("cmtp-bob-");
    alice_pw_ = suite_.PasswordFile("alice", "alice durable");
    bob_pw_ = suite_.PasswordFile("bob", "bob durable");
    for (auto [state, account, pw] : {std::tuple{alice_, "alice@example.org", alice_pw_},
                                      std::tuple{bob_, "bob@example.org", bob_pw_}}) {
      auto r = suite_.Cmtp(
          state, {"register", "--server=" + suite_.gateway_address(),
                  std::string("--account=") + account, "--password-file=" + pw});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }

  // A MAIL acknowledged SUCCESS by the gateway; returns its id.
  std::string AcknowledgedMail(const std::string& body) {
    wire::MailHeader h;
    h.dst_account = "bob";
    h.dst_domain = "example.org";
    h.src_account = "carol";
    h.src_domain = "elsewhere.test";
    RawClient c;
    EXPECT_TRUE(c.Connect(suite_.gateway_port()));
    EXPECT_TRUE(
        c.Send(std::string("MAIL\0", 5) + wire::SerializeMessage(h, "", body, {})));
    auto status = c.Read(wire::ReplyKind::kStatus);
    EXPECT_TRUE(status.has_value() && status->status.success);
    return status.has_value() ? status->status.detail : "";
  }

  std::string BobsInbox() {
    auto r = suite_.Cmtp(bob_, {"inbox", "--password-file=" + bob_pw_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  Suite suite_{"example.org"};
  std::string alice_, bob_, alice_pw_, bob_pw_;
};

TEST_F(DurabilityTest, MailstoreKilledRightAfterSuccessLosesNothing) {
  std::string id = AcknowledgedMail("sealed bytes stand-in");
  ASSERT_EQ(id.size(), 32u);
  suite_.KillMailstore();
  ASSERT_TRUE(suite_.RestartMailstore());
  EXPECT_THAT(BobsInbox(), HasSubstr(id));
}

TEST_F(DurabilityTest, RedisKilledRightAfterSuccessLosesNothing) {
  auto sent = suite_.Cmtp(alice_,
                          {"send", "--to=bob@example.org", "--subject=durable",
                           "--password-file=" + alice_pw_},
                          "this must survive kill -9 of redis\n");
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  std::string id(absl::StripAsciiWhitespace(sent.out));
  std::string raw_id = AcknowledgedMail("a second acknowledged message");
  suite_.redis().KillHard();  // no shutdown save: only the AOF remains
  ASSERT_TRUE(suite_.redis().Start());

  // The services reconnect on their own.
  std::string inbox;
  ASSERT_TRUE(WaitFor([&] {
    auto r = suite_.Cmtp(bob_, {"inbox", "--password-file=" + bob_pw_});
    inbox = r.out;
    return r.exit_code == 0;
  }));
  EXPECT_THAT(inbox, HasSubstr(id));
  EXPECT_THAT(inbox, HasSubstr(raw_id));
  auto read = suite_.Cmtp(
      bob_, {"read", id, "--out-dir=" + bob_ + "/out", "--password-file=" + bob_pw_});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_THAT(read.out, HasSubstr("this must survive kill -9 of redis"));
  EXPECT_THAT(read.out, HasSubstr("Signature: verified"));
}

}  // namespace
}  // namespace cmtp::testing
