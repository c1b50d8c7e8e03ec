#include "tools/cmtp/command_line.h"

#include <gtest/gtest.h>

#include <sstream>

#include "lib/client/failures.h"
#include "lib/common/errors.h"
#include "tools/cmtp/cli.h"
#include "tools/cmtp/exit_codes.h"

namespace cmtp::cli {
namespace {

TEST(TakeRepeatedFlagTest, CollectsBothFormsInOrder) {
  std::vector<std::string> args = {"--cc",     "a@x",       "--to", "b@x",
                                   "--cc=c@x", "--subject", "hi"};
  absl::StatusOr<std::vector<std::string>> values = TakeRepeatedFlag(args, "cc");
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(*values, (std::vector<std::string>{"a@x", "c@x"}));
  EXPECT_EQ(args, (std::vector<std::string>{"--to", "b@x", "--subject", "hi"}));
}

TEST(TakeRepeatedFlagTest, StopsAtDoubleDash) {
  std::vector<std::string> args = {"--", "--cc", "x"};
  absl::StatusOr<std::vector<std::string>> values = TakeRepeatedFlag(args, "cc");
  ASSERT_TRUE(values.ok());
  EXPECT_TRUE(values->empty());
  EXPECT_EQ(args.size(), 3u);
}

TEST(TakeRepeatedFlagTest, MissingValueIsAnError) {
  std::vector<std::string> args = {"--attach"};
  EXPECT_EQ(TakeRepeatedFlag(args, "attach").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CommandLineTest, SingleAndRepeatedFlags) {
  CommandLine line("cmtp send", "test");
  line.config().Add("to", "", "", "");
  line.config().Add("accept-new-key", "", "false", "");
  line.AddRepeated("cc", "");
  ASSERT_TRUE(line.Parse({"--to", "bob@x", "--cc", "c@x", "--accept-new-key", "--cc",
                          "d@x", "ID"})
                  .ok());
  EXPECT_EQ(line.Get("to"), "bob@x");
  EXPECT_EQ(line.Repeated("cc"), (std::vector<std::string>{"c@x", "d@x"}));
  EXPECT_TRUE(*line.GetBool("accept-new-key"));
  EXPECT_EQ(line.positional(), (std::vector<std::string>{"ID"}));
  EXPECT_FALSE(line.Parse({"--nope"}).ok());
}

TEST(ExitCodeTest, MapsEachKindOfFailure) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), kExitOk);
  EXPECT_EQ(ExitCodeFor(error::CryptoFailure("bad signature")), kExitCrypto);
  EXPECT_EQ(ExitCodeFor(error::InvalidInput("bad flag")), kExitUsage);
  EXPECT_EQ(ExitCodeFor(error::Unavailable("connection refused")), kExitRefused);
  EXPECT_EQ(ExitCodeFor(client::ServerRefusal("MAIL", "mailbox full")), kExitRefused);
  EXPECT_EQ(ExitCodeFor(error::NotFound("no such key")), kExitRefused);
  // Unauthenticated without the crypto prefix is a refusal, not a crypto failure.
  EXPECT_EQ(ExitCodeFor(error::Unauthenticated("log in first")), kExitRefused);
}

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun RunCmtp(const std::vector<std::string>& args, const std::string& input = "") {
  std::istringstream in(input);
  std::ostringstream out;
  std::ostringstream err;
  Terminal terminal{in, out, err};
  const int code = RunCli(args, terminal);
  return {code, out.str(), err.str()};
}

TEST(RunCliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunCmtp({}).code, kExitUsage);
  EXPECT_EQ(RunCmtp({"frobnicate"}).code, kExitUsage);
  EXPECT_EQ(RunCmtp({"read"}).code, kExitUsage);            // ID missing
  EXPECT_EQ(RunCmtp({"read", "a", "b"}).code, kExitUsage);  // one ID only
  EXPECT_EQ(RunCmtp({"inbox", "--bogus-flag"}).code, kExitUsage);
  EXPECT_EQ(RunCmtp({"key", "not-an-address", "--state-dir", "/nonexistent"}).code,
            kExitUsage);
  const CliRun send = RunCmtp({"send", "--subject", "x", "--state-dir", "/nonexistent"});
  EXPECT_EQ(send.code, kExitUsage);
  EXPECT_NE(send.err.find("--to"), std::string::npos) << send.err;
  EXPECT_EQ(RunCmtp({"decrypt", "--state-dir", "/nonexistent"}).code, kExitUsage);
}

TEST(RunCliTest, MissingServerIsAUsageErrorWithAHint) {
  const CliRun run =
      RunCmtp({"key", "bob@example.org", "--state-dir", "/nonexistent-state"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_NE(run.err.find("--server"), std::string::npos) << run.err;
}

TEST(RunCliTest, UnreachableServerExitsOne) {
  const CliRun run = RunCmtp({"key", "bob@example.org", "--server", "127.0.0.1:1",
                              "--state-dir", "/nonexistent-state"});
  EXPECT_EQ(run.code, kExitRefused) << run.err;
}

TEST(RunCliTest, HelpListsSubcommandsAndFlags) {
  const CliRun overview = RunCmtp({"--help"});
  EXPECT_EQ(overview.code, kExitOk);
  for (const char* name :
       {"register", "send", "inbox", "read", "delete", "key", "decrypt"}) {
    EXPECT_NE(overview.out.find(name), std::string::npos) << name;
  }
  const CliRun send = RunCmtp({"send", "--help"});
  EXPECT_EQ(send.code, kExitOk);
  EXPECT_NE(send.out.find("--attach"), std::string::npos) << send.out;
  EXPECT_NE(send.out.find("--password-file"), std::string::npos) << send.out;
}

}  // namespace
}  // namespace cmtp::cli
