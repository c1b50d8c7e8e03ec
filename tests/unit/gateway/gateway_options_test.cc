#include "services/gateway/gateway_options.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace cmtp::gateway {
namespace {

absl::StatusOr<GatewayOptions> Parse(std::vector<std::string> args) {
  Config config("cmtp-gateway", "test");
  DeclareGatewayFlags(config);
  args.insert(args.begin(), "cmtp-gateway");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  absl::Status parsed = config.Parse(static_cast<int>(argv.size()), argv.data());
  if (!parsed.ok()) return parsed;
  return GatewayOptionsFromConfig(config);
}

TEST(GatewayOptionsTest, DefaultsFollowDocsServices) {
  absl::StatusOr<GatewayOptions> options = Parse({});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->listener.listen_address, "::");
  EXPECT_EQ(options->listener.port, 9001);
  EXPECT_EQ(options->domain, "localhost");
  EXPECT_EQ(options->keyserver, "127.0.0.1:7001");
  EXPECT_EQ(options->mailstore, "127.0.0.1:7002");
  EXPECT_EQ(options->relay, "") << "no relay unless one is configured";
  EXPECT_EQ(options->server_key_file, "server.key");
  EXPECT_EQ(options->listener.session.limits.max_message, 33554432u);
  EXPECT_EQ(options->listener.session.limits.max_log, 65536u);
  EXPECT_EQ(options->listener.session.limits.max_attachments, 64u);
  EXPECT_EQ(options->listener.session.idle_timeout, std::chrono::seconds(300));
  EXPECT_EQ(options->listener.session.session_timeout, std::chrono::seconds(3600));
  EXPECT_EQ(options->listener.max_connections, 100000u);
  EXPECT_EQ(options->threads, 1);
  EXPECT_EQ(options->rpc_deadline, std::chrono::seconds(10));
  // The gRPC channel carries a whole MAIL with room to spare.
  EXPECT_EQ(options->GrpcMessageLimit(), 33554432 + 65536 + (1 << 20));
}

TEST(GatewayOptionsTest, KeyCacheFlagsAndEnvironment) {
  absl::StatusOr<GatewayOptions> defaults = Parse({});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->key_cache.ttl, std::chrono::milliseconds(2000));
  EXPECT_EQ(defaults->key_cache.negative_ttl, std::chrono::milliseconds(500));
  EXPECT_EQ(defaults->key_cache.max_entries, 100000u);

  setenv("CMTP_KEY_CACHE_TTL_MS", "0", 1);
  absl::StatusOr<GatewayOptions> options =
      Parse({"--key-cache-negative-ttl-ms", "250", "--key-cache-entries", "7"});
  unsetenv("CMTP_KEY_CACHE_TTL_MS");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->key_cache.ttl, std::chrono::milliseconds(0));
  EXPECT_EQ(options->key_cache.negative_ttl, std::chrono::milliseconds(250));
  EXPECT_EQ(options->key_cache.max_entries, 7u);

  absl::StatusOr<GatewayOptions> negative = Parse({"--key-cache-ttl-ms", "-1"});
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find("--key-cache-ttl-ms"),
            absl::string_view::npos);
}

TEST(GatewayOptionsTest, MailstoreBatchFlagsAndEnvironment) {
  absl::StatusOr<GatewayOptions> defaults = Parse({});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->put_batching.max_in_flight, 2);
  EXPECT_EQ(defaults->put_batching.max_items, 64);
  EXPECT_EQ(defaults->put_batching.max_bytes, 1 << 20);

  setenv("CMTP_MAILSTORE_BATCH_IN_FLIGHT", "0", 1);
  absl::StatusOr<GatewayOptions> options =
      Parse({"--mailstore-batch-puts", "8", "--mailstore-batch-bytes", "4096"});
  unsetenv("CMTP_MAILSTORE_BATCH_IN_FLIGHT");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->put_batching.max_in_flight, 0);
  EXPECT_EQ(options->put_batching.max_items, 8);
  EXPECT_EQ(options->put_batching.max_bytes, 4096);

  // More puts than the mailstore takes by default would fail whole batches.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--mailstore-batch-puts", "257"},
        {"--mailstore-batch-puts", "0"},
        {"--mailstore-batch-in-flight", "-1"},
        {"--mailstore-batch-bytes", "0"}}) {
    absl::StatusOr<GatewayOptions> bad = Parse(args);
    EXPECT_FALSE(bad.ok()) << args[0] << " " << args[1];
    EXPECT_NE(std::string(bad.status().message()).find(args[0]), std::string::npos)
        << bad.status();
  }
}

TEST(GatewayOptionsTest, RelayBatchFlagsAndEnvironment) {
  absl::StatusOr<GatewayOptions> defaults = Parse({});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->enqueue_batching.max_in_flight, 2);
  EXPECT_EQ(defaults->enqueue_batching.max_items, 64);
  EXPECT_EQ(defaults->enqueue_batching.max_bytes, 1 << 20);

  setenv("CMTP_RELAY_BATCH_IN_FLIGHT", "0", 1);
  absl::StatusOr<GatewayOptions> options =
      Parse({"--relay-batch-enqueues", "16", "--relay-batch-bytes", "65536"});
  unsetenv("CMTP_RELAY_BATCH_IN_FLIGHT");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->enqueue_batching.max_in_flight, 0);
  EXPECT_EQ(options->enqueue_batching.max_items, 16);
  EXPECT_EQ(options->enqueue_batching.max_bytes, 65536);
  EXPECT_EQ(options->put_batching.max_in_flight, 2);  // the mailstore's are apart

  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--relay-batch-enqueues", "257"},
        {"--relay-batch-enqueues", "0"},
        {"--relay-batch-in-flight", "-1"},
        {"--relay-batch-bytes", "0"}}) {
    absl::StatusOr<GatewayOptions> bad = Parse(args);
    EXPECT_FALSE(bad.ok()) << args[0] << " " << args[1];
    EXPECT_NE(std::string(bad.status().message()).find(args[0]), std::string::npos)
        << bad.status();
  }
}

TEST(GatewayOptionsTest, FlagsAndEnvironment) {
  setenv("CMTP_IDLE_TIMEOUT_SECONDS", "7", 1);
  setenv("CMTP_RELAY", "127.0.0.1:7003", 1);
  absl::StatusOr<GatewayOptions> options =
      Parse({"--port", "0", "--domain=hawaii.edu", "--max-message-bytes", "1000",
             "--threads", "3"});
  unsetenv("CMTP_IDLE_TIMEOUT_SECONDS");
  unsetenv("CMTP_RELAY");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->listener.port, 0);
  EXPECT_EQ(options->domain, "hawaii.edu");
  EXPECT_EQ(options->listener.session.limits.max_message, 1000u);
  EXPECT_EQ(options->threads, 3);
  EXPECT_EQ(options->listener.session.idle_timeout, std::chrono::seconds(7));
  EXPECT_EQ(options->relay, "127.0.0.1:7003");
}

TEST(GatewayOptionsTest, RejectsValuesOutOfRange) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--port", "70000"},
        {"--threads", "0"},
        {"--idle-timeout-seconds", "soon"},
        {"--domain", ""},
        {"--max-connections", "-1"}}) {
    absl::StatusOr<GatewayOptions> options = Parse(args);
    EXPECT_FALSE(options.ok()) << args[0];
    EXPECT_NE(std::string(options.status().message()).find(args[0]), std::string::npos)
        << options.status();
  }
}

TEST(GatewayOptionsTest, ObservabilityIsOffUnlessAsked) {
  absl::StatusOr<GatewayOptions> options = Parse({});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->admin_listen, "");
  EXPECT_EQ(options->observability.metrics_listen_address, "");
  ASSERT_NE(options->observability.logger, nullptr);
  EXPECT_EQ(options->observability.logger->service(), "gateway");
  EXPECT_FALSE(options->observability.logger->Enabled(observability::LogLevel::kDebug));
}

TEST(GatewayOptionsTest, MetricsHealthAndLogFlagsAndEnvironment) {
  setenv("CMTP_ADMIN_LISTEN", "0.0.0.0:7100", 1);
  absl::StatusOr<GatewayOptions> options =
      Parse({"--metrics-listen", "127.0.0.1:0", "--metrics-port-file", "/tmp/m.port",
             "--admin-port-file", "/tmp/a.port", "--log-level", "debug"});
  unsetenv("CMTP_ADMIN_LISTEN");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->admin_listen, "0.0.0.0:7100");
  EXPECT_EQ(options->admin_port_file, "/tmp/a.port");
  EXPECT_EQ(options->observability.metrics_listen_address, "127.0.0.1:0");
  EXPECT_EQ(options->metrics_port_file, "/tmp/m.port");
  EXPECT_TRUE(options->observability.logger->Enabled(observability::LogLevel::kDebug));
}

TEST(GatewayOptionsTest, RejectsBadObservabilityValues) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--metrics-listen", "[::1]:9090"},
        {"--metrics-listen", "no-port"},
        {"--log-level", "loud"},
        {"--log-format", "xml"}}) {
    EXPECT_FALSE(Parse(args).ok()) << args[0] << " " << args[1];
  }
}

}  // namespace
}  // namespace cmtp::gateway
