// TLS options from flags: which files are read, which combinations are
// refused, and that TLS stays off unless asked for.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "lib/rpc/tls.h"
#include "tests/support/ports.h"

namespace cmtp::rpc {
namespace {

using ::testing::HasSubstr;

constexpr char kCert[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
constexpr char kKey[] = "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n";

class TlsOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("cmtp-tls-options-");
    std::ofstream(dir_ + "/a.crt") << kCert;
    std::ofstream(dir_ + "/a.key") << kKey;
    std::ofstream(dir_ + "/junk") << "not pem\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A Config with the server and channel flags, parsed from `args`.
  Config Parsed(std::vector<std::string> args) {
    Config config("test", "tls");
    AddTlsServerFlags(config);
    AddTlsChannelFlags(config);
    args.insert(args.begin(), "test");
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    EXPECT_TRUE(config.Parse(static_cast<int>(argv.size()), argv.data()).ok());
    return config;
  }

  std::string dir_;
};

TEST_F(TlsOptionsTest, OffByDefault) {
  Config config = Parsed({});
  absl::StatusOr<TlsServerOptions> server = TlsServerOptionsFromConfig(config);
  absl::StatusOr<TlsChannelOptions> channel = TlsChannelOptionsFromConfig(config);
  ASSERT_TRUE(server.ok() && channel.ok());
  EXPECT_FALSE(server->enabled());
  EXPECT_FALSE(channel->enabled());
  EXPECT_EQ(DescribeTls(*server), "plaintext");
  EXPECT_EQ(DescribeTls(*channel), "plaintext");
}

TEST_F(TlsOptionsTest, ServerReadsTheFilesAndMutualNeedsAClientCa) {
  Config config = Parsed({"--tls-cert", dir_ + "/a.crt", "--tls-key", dir_ + "/a.key"});
  absl::StatusOr<TlsServerOptions> server = TlsServerOptionsFromConfig(config);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(server->cert_pem, kCert);
  EXPECT_EQ(server->key_pem, kKey);
  EXPECT_EQ(DescribeTls(*server), "tls");
  Config mutual = Parsed({"--tls-cert", dir_ + "/a.crt", "--tls-key", dir_ + "/a.key",
                          "--tls-client-ca", dir_ + "/a.crt"});
  EXPECT_EQ(DescribeTls(*TlsServerOptionsFromConfig(mutual)), "mutual-tls");
}

TEST_F(TlsOptionsTest, AChannelPresentsTheCertificateOnlyWithTls) {
  // The relay's certificate is for its server side when the channels are
  // plaintext.
  Config plain = Parsed({"--tls-cert", dir_ + "/a.crt", "--tls-key", dir_ + "/a.key"});
  absl::StatusOr<TlsChannelOptions> channel = TlsChannelOptionsFromConfig(plain);
  ASSERT_TRUE(channel.ok());
  EXPECT_FALSE(channel->enabled());
  EXPECT_TRUE(channel->cert_pem.empty());

  Config tls = Parsed({"--tls-ca", dir_ + "/a.crt", "--tls-cert", dir_ + "/a.crt",
                       "--tls-key", dir_ + "/a.key", "--tls-server-name", "keyserver"});
  channel = TlsChannelOptionsFromConfig(tls);
  ASSERT_TRUE(channel.ok());
  EXPECT_EQ(DescribeTls(*channel), "mutual-tls");
  EXPECT_EQ(channel->server_name, "keyserver");
}

TEST_F(TlsOptionsTest, BadCombinationsAndFilesNameTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string server_error;   // empty: the server side accepts it
    std::string channel_error;  // empty: the channel side accepts it
  };
  std::vector<Case> cases = {
      {{"--tls-cert", dir_ + "/a.crt"}, "go together", "go together"},
      {{"--tls-key", dir_ + "/a.key"}, "go together", "go together"},
      {{"--tls-client-ca", dir_ + "/a.crt"}, "--tls-client-ca needs", ""},
      {{"--tls-server-name", "x"}, "", "--tls-server-name needs --tls-ca"},
      {{"--tls-ca", dir_ + "/missing"}, "", "--tls-ca: cannot read"},
      {{"--tls-ca", dir_ + "/a.key"}, "", "is not a PEM certificate"},
      {{"--tls-cert", dir_ + "/a.crt", "--tls-key", dir_ + "/junk"},
       "--tls-key: " + dir_ + "/junk is not a PEM private key",
       "--tls-key: " + dir_ + "/junk is not a PEM private key"},
  };
  for (const Case& c : cases) {
    Config config = Parsed(c.args);
    absl::Status server = TlsServerOptionsFromConfig(config).status();
    absl::Status channel = TlsChannelOptionsFromConfig(config).status();
    if (c.server_error.empty()) {
      EXPECT_TRUE(server.ok()) << c.args[0] << ": " << server;
    } else {
      EXPECT_EQ(server.code(), absl::StatusCode::kInvalidArgument) << c.args[0];
      EXPECT_THAT(std::string(server.message()), HasSubstr(c.server_error));
    }
    if (c.channel_error.empty()) {
      EXPECT_TRUE(channel.ok()) << c.args[0] << ": " << channel;
    } else {
      EXPECT_EQ(channel.code(), absl::StatusCode::kInvalidArgument) << c.args[0];
      EXPECT_THAT(std::string(channel.message()), HasSubstr(c.channel_error));
    }
  }
}

}  // namespace
}  // namespace cmtp::rpc
