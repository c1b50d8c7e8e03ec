#include "lib/client/connection.h"

#include <gtest/gtest.h>

#include <chrono>

#include "lib/client/session.h"
#include "lib/crypto/protocol_signatures.h"
#include "lib/wire/serializer.h"
#include "tests/support/ports.h"
#include "tests/unit/client/fake_cmtp_server.h"

namespace cmtp::client {
namespace {

using cmtp::testing::FakeCmtpServer;

std::optional<std::string> Echoes(const wire::Command& command) {
  switch (command.kind) {
    case wire::CommandKind::kOhai:
      return wire::TextReply(wire::kOhaiReply);
    case wire::CommandKind::kNoop:
      return wire::TextReply(wire::kNoopReply);
    default:
      return std::nullopt;
  }
}

TEST(ConnectionTest, ReadsTheBannerAndExchangesCommands) {
  FakeCmtpServer server(Echoes, wire::TextReply(wire::kBanner));
  ASSERT_TRUE(server.listening());
  absl::StatusOr<Session> session = Session::Connect(server.endpoint());
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(session->connection().banner(), wire::kBanner);
  absl::StatusOr<std::string> ohai = session->Ohai();
  ASSERT_TRUE(ohai.ok()) << ohai.status();
  EXPECT_EQ(*ohai, wire::kOhaiReply);
  absl::StatusOr<std::string> noop = session->Noop();
  ASSERT_TRUE(noop.ok()) << noop.status();
  EXPECT_EQ(*noop, wire::kNoopReply);
}

TEST(ConnectionTest, ConnectsOverIpv6Literal) {
  FakeCmtpServer server(Echoes, wire::TextReply(wire::kBanner), "::1");
  if (!server.listening()) GTEST_SKIP() << "no IPv6 loopback here";
  absl::StatusOr<Endpoint> endpoint =
      ParseEndpoint("[::1]:" + std::to_string(server.endpoint().port));
  ASSERT_TRUE(endpoint.ok());
  absl::StatusOr<Session> session = Session::Connect(*endpoint);
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_TRUE(session->Ohai().ok());
}

TEST(ConnectionTest, ResolvesNames) {
  FakeCmtpServer server(Echoes, wire::TextReply(wire::kBanner));
  ASSERT_TRUE(server.listening());
  // "localhost" may resolve to ::1 first; the client tries every address.
  absl::StatusOr<Session> session =
      Session::Connect({"localhost", server.endpoint().port});
  ASSERT_TRUE(session.ok()) << session.status();
}

TEST(ConnectionTest, RefusedConnectionIsUnavailable) {
  const int port = cmtp::testing::FreePort();
  absl::StatusOr<Session> session =
      Session::Connect({"127.0.0.1", static_cast<uint16_t>(port)});
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(session.status().message().find("cannot connect"), std::string::npos)
      << session.status();
}

TEST(ConnectionTest, UnknownHostIsUnavailable) {
  absl::StatusOr<Session> session = Session::Connect({"no-such-host.invalid", 9001});
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), absl::StatusCode::kUnavailable);
}

TEST(ConnectionTest, SilentServerTimesOut) {
  FakeCmtpServer server(Echoes, /*banner=*/"");
  ASSERT_TRUE(server.listening());
  ConnectionOptions options;
  options.io_timeout = std::chrono::milliseconds(200);
  const auto started = std::chrono::steady_clock::now();
  absl::StatusOr<Session> session = Session::Connect(server.endpoint(), options);
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(session.status().message().find("timed out"), std::string::npos)
      << session.status();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(ConnectionTest, FailureInsteadOfBannerReportsTheReason) {
  crypto::EnsureSodium();
  const crypto::KeyPair server_key = crypto::GenerateKeyPair();
  FakeCmtpServer server(
      Echoes, wire::StatusReply(crypto::MakeStatus(server_key.secret_key.view(), false,
                                                   "", "too many connections")));
  ASSERT_TRUE(server.listening());
  absl::StatusOr<Session> session = Session::Connect(server.endpoint());
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(session.status().message().find("too many connections"), std::string::npos)
      << session.status();
}

TEST(ConnectionTest, ServerClosingMidReplyIsUnavailable) {
  FakeCmtpServer server([](const wire::Command&) { return std::nullopt; },
                        wire::TextReply(wire::kBanner));
  ASSERT_TRUE(server.listening());
  absl::StatusOr<Session> session = Session::Connect(server.endpoint());
  ASSERT_TRUE(session.ok());
  absl::StatusOr<std::string> ohai = session->Ohai();
  ASSERT_FALSE(ohai.ok());
  EXPECT_EQ(ohai.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(ohai.status().message().find("closed"), std::string::npos) << ohai.status();
}

}  // namespace
}  // namespace cmtp::client
