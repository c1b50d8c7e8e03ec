// The session over real TCP: banner, the reference's text commands, KEYREQUEST,
// pipelining, garbage, limits on connections and time.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/unit/gateway/test_util.h"

namespace cmtp::gateway::testing {
namespace {

using std::string_literals::operator""s;

class GatewaySessionTest : public ::testing::Test {
 protected:
  void SetUp() override { AddReferenceAccounts(harness_); }
  GatewayHarness harness_;
};

TEST_F(GatewaySessionTest, SendsTheBannerOnConnect) {
  TestClient client(harness_.port());
  EXPECT_EQ(client.Read(kBannerBytes.size()), kBannerBytes);
}

TEST_F(GatewaySessionTest, AnswersTextCommandsWithAnyTerminator) {
  auto client = ConnectAndGreet(harness_);
  for (const std::string& terminator : {"\0"s, "\n"s, "\r\n"s}) {
    SCOPED_TRACE(terminator == "\n" ? "LF" : terminator == "\r\n" ? "CRLF" : "NUL");
    client->Send("OHAI" + terminator);
    EXPECT_EQ(client->Read(11), "HAI!!! :3\n\0"s);
    client->Send("NOOP" + terminator);
    EXPECT_EQ(client->Read(5), "O_O\n\0"s);
    client->Send("HELP" + terminator);
    std::string help = client->ReadThroughNul();
    EXPECT_TRUE(help.starts_with("Commands:")) << help;
    EXPECT_TRUE(help.ends_with("\n\0"s)) << help;
    EXPECT_NE(help.find("KEYREQUEST"), std::string::npos);
    EXPECT_NE(help.find("LOGINPROOF"), std::string::npos);
    EXPECT_LE(help.size(), 256u);  // one str
  }
}

TEST_F(GatewaySessionTest, ObaiSaysGoodByeAndCloses) {
  for (const std::string& terminator : {"\0"s, "\n"s, "\r\n"s}) {
    auto client = ConnectAndGreet(harness_);
    client->Send("OBAI" + terminator);
    EXPECT_EQ(client->Read(10), "Good bye\n\0"s);
    EXPECT_TRUE(client->WaitForClose());
  }
}

TEST_F(GatewaySessionTest, KeyRequestForTheServerMatchesTheReference) {
  auto client = ConnectAndGreet(harness_);
  client->Send("KEYREQUEST\0\0"s);
  EXPECT_EQ(client->Read(102), Vector("keyreply_server.bin"));
}

TEST_F(GatewaySessionTest, KeyRequestForALocalAccountMatchesTheReference) {
  auto client = ConnectAndGreet(harness_);
  // The reference client's form, with its stray trailing NUL.
  client->Send("KEYREQUEST\0bob\0hawaii.edu\0\0"s);
  EXPECT_EQ(client->Read(102), Vector("keyreply_bob.bin"));
  // The domain compares without case; the stray NUL was ignored.
  client->Send(KeyRequest("alice", "HAWAII.Edu"));
  EXPECT_EQ(client->Read(102), Vector("keyreply_alice.bin"));
}

void ExpectNotAvailable(const GatewayHarness& harness, const std::string& reply) {
  ASSERT_EQ(reply.size(), 85u);
  EXPECT_EQ(reply.substr(0, 4), U32(0));
  EXPECT_EQ(reply.substr(4, 16), "KEYNOTAVAILABLE\0"s);
  EXPECT_TRUE(crypto::Verify(harness.server_key().public_key, reply.substr(4, 16),
                             reply.substr(20, 64)));
  EXPECT_EQ(reply[84], '\0');
}

TEST_F(GatewaySessionTest, KeyRequestForAnUnknownAccountIsNotAvailable) {
  auto client = ConnectAndGreet(harness_);
  client->Send(KeyRequest("carol", "hawaii.edu"));
  ExpectNotAvailable(harness_, client->Read(85));
}

TEST_F(GatewaySessionTest, KeyRequestForAForeignDomainIsNotAvailable) {
  auto client = ConnectAndGreet(harness_);
  client->Send(KeyRequest("bob", "example.org"));
  ExpectNotAvailable(harness_, client->Read(85));
  EXPECT_EQ(harness_.keys().account_key_lookups(), 0);
}

TEST_F(GatewaySessionTest, KeyRequestDuringAKeyserverOutageFailsWithTheReason) {
  harness_.keys().SetOutage(absl::UnavailableError("keyserver unavailable: down"));
  auto client = ConnectAndGreet(harness_);
  std::string request = KeyRequest("bob", "hawaii.edu");
  client->Send(request);
  ParsedStatus status = client->ReadStatus();
  EXPECT_EQ(status.word, "FAILURE");
  EXPECT_EQ(status.detail, "keyserver unavailable: down");
  EXPECT_TRUE(SignedByServer(harness_, status, request));
}

TEST_F(GatewaySessionTest, AnswersPipelinedCommandsInOrder) {
  auto client = ConnectAndGreet(harness_);
  client->Send("OHAI\0NOOP\nKEYREQUEST\0\0\0OHAI\r\n"s);
  EXPECT_EQ(client->Read(11), "HAI!!! :3\n\0"s);
  EXPECT_EQ(client->Read(5), "O_O\n\0"s);
  EXPECT_EQ(client->Read(102), Vector("keyreply_server.bin"));
  EXPECT_EQ(client->Read(11), "HAI!!! :3\n\0"s);
}

TEST_F(GatewaySessionTest, CommandsSplitAcrossManyWritesStillParse) {
  auto client = ConnectAndGreet(harness_);
  for (char c : "KEYREQUEST\0bob\0hawaii.edu\0"s) {
    client->Send(std::string(1, c));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(client->Read(102), Vector("keyreply_bob.bin"));
}

TEST_F(GatewaySessionTest, UnknownCommandGetsAFailureAndTheConnectionCloses) {
  for (const std::string& garbage : {"BOGUS\0"s, "\x01\x02\x03\x04"s, "ohai\0"s}) {
    auto client = ConnectAndGreet(harness_);
    client->Send(garbage);
    ParsedStatus status = client->ReadStatus();
    EXPECT_EQ(status.word, "FAILURE");
    EXPECT_FALSE(status.detail.empty());
    // No complete request exists: the signature covers empty request bytes.
    EXPECT_TRUE(SignedByServer(harness_, status, ""));
    EXPECT_TRUE(client->WaitForClose());
  }
}

TEST_F(GatewaySessionTest, ServesIpv6ClientsToo) {
  TestClient probe(harness_.port(), "::1");
  if (!probe.connected()) GTEST_SKIP() << "no IPv6 loopback here";
  EXPECT_EQ(probe.Read(kBannerBytes.size()), kBannerBytes);
  probe.Send("OHAI\0"s);
  EXPECT_EQ(probe.Read(11), "HAI!!! :3\n\0"s);
}

TEST(GatewaySessionLimitsTest, IdleConnectionIsClosed) {
  HarnessOptions options;
  options.listener.session.idle_timeout = std::chrono::milliseconds(300);
  GatewayHarness harness(options);
  auto client = ConnectAndGreet(harness);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(client->WaitForClose(std::chrono::seconds(5)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
}

TEST(GatewaySessionLimitsTest, ActiveConnectionOutlivesTheIdleTimeout) {
  HarnessOptions options;
  options.listener.session.idle_timeout = std::chrono::milliseconds(300);
  GatewayHarness harness(options);
  auto client = ConnectAndGreet(harness);
  for (int i = 0; i < 8; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    client->Send("NOOP\0"s);
    ASSERT_EQ(client->Read(5), "O_O\n\0"s) << "round " << i;
  }
}

TEST(GatewaySessionLimitsTest, PartialCommandDoesNotResetTheIdleTimeout) {
  HarnessOptions options;
  options.listener.session.idle_timeout = std::chrono::milliseconds(300);
  GatewayHarness harness(options);
  auto client = ConnectAndGreet(harness);
  // A command word dribbled out byte by byte never completes.
  bool closed = false;
  for (int i = 0; i < 20 && !closed; ++i) {
    client->Send("K");
    closed = client->WaitForClose(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(closed);
}

TEST(GatewaySessionLimitsTest, SessionTimeoutClosesEvenABusyClient) {
  HarnessOptions options;
  options.listener.session.session_timeout = std::chrono::milliseconds(400);
  GatewayHarness harness(options);
  auto client = ConnectAndGreet(harness);
  bool closed = false;
  for (int i = 0; i < 40 && !closed; ++i) {
    client->Send("NOOP\0"s);
    closed = client->WaitForClose(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(closed);
}

TEST(GatewaySessionLimitsTest, ConnectionsOverTheCapAreToldTheServerIsBusy) {
  HarnessOptions options;
  options.listener.max_connections = 2;
  GatewayHarness harness(options);
  auto first = ConnectAndGreet(harness);
  auto second = ConnectAndGreet(harness);
  TestClient third(harness.port());
  ParsedStatus status = third.ReadStatus();
  EXPECT_EQ(status.word, "FAILURE");
  EXPECT_EQ(status.detail, "server busy");
  EXPECT_TRUE(SignedByServer(harness, status, ""));
  EXPECT_TRUE(third.WaitForClose());

  // A slot frees up once a session ends.
  first->Send("OBAI\0"s);
  EXPECT_TRUE(first->WaitForClose());
  first->Close();  // as a client does on the server's FIN; ends the linger
  ASSERT_TRUE(cmtp::testing::WaitFor([&] { return harness.sessions() < 2; }));
  auto fourth = ConnectAndGreet(harness);
  fourth->Send("OHAI\0"s);
  EXPECT_EQ(fourth->Read(11), "HAI!!! :3\n\0"s);
}

TEST(GatewaySessionThreadsTest, ManyClientsOnSeveralThreads) {
  HarnessOptions options;
  options.threads = 4;
  GatewayHarness harness(options);
  AddReferenceAccounts(harness);
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&harness] {
      auto client = ConnectAndGreet(harness);
      for (int i = 0; i < 20; ++i) {
        client->Send(KeyRequest("bob", "hawaii.edu"));
        EXPECT_EQ(client->Read(102), Vector("keyreply_bob.bin"));
      }
      client->Send("OBAI\0"s);
      EXPECT_EQ(client->Read(10), "Good bye\n\0"s);
    });
  }
  for (std::thread& client : clients) client.join();
}

}  // namespace
}  // namespace cmtp::gateway::testing
