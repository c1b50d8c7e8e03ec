// Graceful shutdown: idle sessions close at once, a command in flight is
// finished and answered, stragglers are cut off after the grace period.
#include <chrono>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/unit/gateway/test_util.h"

namespace cmtp::gateway::testing {
namespace {

using std::string_literals::operator""s;

TEST(GatewayShutdownTest, IdleSessionsCloseAndNoNewConnectionIsServed) {
  GatewayHarness harness;
  auto idle = ConnectAndGreet(harness);
  const auto start = std::chrono::steady_clock::now();
  harness.Shutdown(std::chrono::seconds(10));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(idle->WaitForClose());
  EXPECT_FALSE(cmtp::testing::CanConnect(harness.port()));
}

TEST(GatewayShutdownTest, StrayNulDoesNotDelayTheClose) {
  GatewayHarness harness;
  AddReferenceAccounts(harness);
  auto client = ConnectAndGreet(harness);
  client->Send("KEYREQUEST\0bob\0hawaii.edu\0\0"s);  // the reference client's form
  EXPECT_EQ(client->Read(102), Vector("keyreply_bob.bin"));
  const auto start = std::chrono::steady_clock::now();
  harness.Shutdown(std::chrono::seconds(10));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(client->WaitForClose());
}

TEST(GatewayShutdownTest, HalfSentCommandMayFinish) {
  GatewayHarness harness;
  AddReferenceAccounts(harness);
  auto client = ConnectAndGreet(harness);
  client->Send("KEYREQUEST\0bo"s);
  ASSERT_TRUE(cmtp::testing::WaitFor([&] { return harness.sessions() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::thread stopper([&] { harness.Shutdown(std::chrono::seconds(10)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  client->Send("b\0hawaii.edu\0"s);
  EXPECT_EQ(client->Read(102), Vector("keyreply_bob.bin"));
  EXPECT_TRUE(client->WaitForClose());
  stopper.join();
}

TEST(GatewayShutdownTest, MailInFlightIsFinishedAndAnswered) {
  GatewayHarness harness;
  AddReferenceAccounts(harness);
  harness.mailboxes().HoldPuts(true);
  auto client = ConnectAndGreet(harness);
  TestMail mail;
  client->Send(mail.Request());
  ASSERT_TRUE(cmtp::testing::WaitFor(
      [&] { return harness.mailboxes().puts_in_progress() == 1; }));

  std::thread stopper([&] { harness.Shutdown(std::chrono::seconds(10)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  harness.mailboxes().HoldPuts(false);
  ParsedStatus status = client->ReadStatus();
  EXPECT_TRUE(status.success()) << status.detail;
  EXPECT_TRUE(client->WaitForClose());
  stopper.join();
  EXPECT_EQ(harness.mailboxes().Messages("bob").size(), 1u);
}

TEST(GatewayShutdownTest, SessionsStillBusyAfterTheGraceAreCut) {
  GatewayHarness harness;
  AddReferenceAccounts(harness);
  harness.mailboxes().HoldPuts(true);
  auto client = ConnectAndGreet(harness);
  client->Send(TestMail().Request());
  ASSERT_TRUE(cmtp::testing::WaitFor(
      [&] { return harness.mailboxes().puts_in_progress() == 1; }));

  std::thread stopper([&] { harness.Shutdown(std::chrono::milliseconds(200)); });
  EXPECT_TRUE(client->WaitForClose(std::chrono::seconds(5)));
  // The held backend call still has to come back before the io thread ends.
  harness.mailboxes().HoldPuts(false);
  stopper.join();
}

}  // namespace
}  // namespace cmtp::gateway::testing
