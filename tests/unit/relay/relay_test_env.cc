#include "tests/unit/relay/relay_test_env.h"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cmtp/v1/keyserver.grpc.pb.h"
#include "cmtp/v1/mailstore.grpc.pb.h"
#include "lib/client/mail_address.h"
#include "lib/client/new_account.h"
#include "lib/client/outgoing_mail.h"
#include "lib/common/errors.h"
#include "lib/crypto/log_entry.h"
#include "lib/crypto/sealed.h"
#include "lib/crypto/server_key.h"
#include "lib/rpc/server.h"
#include "lib/rpc/status.h"
#include "lib/wire/message_id.h"
#include "lib/wire/message_parser.h"
#include "tests/support/ports.h"

namespace cmtp::relay::testing {
namespace {

constexpr auto kRpcDeadline = std::chrono::seconds(3);

std::string Binary(const std::string& service) {
  return absl::StrCat(CMTP_BINARY_DIR, "/services/", service, "/cmtp-", service);
}

std::string Loopback(int port) { return absl::StrCat("127.0.0.1:", port); }

void SetDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() + kRpcDeadline);
}

}  // namespace

int64_t RealWallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t RealSteadyClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

DomainUnderTest::DomainUnderTest(std::string domain, std::string dir)
    : domain_(std::move(domain)),
      dir_(std::move(dir)),
      server_key_file_(dir_ + "/server.key") {}

DomainUnderTest::~DomainUnderTest() {
  gateway_.Kill();
  mailstore_.Kill();
  keyserver_.Kill();
}

std::string DomainUnderTest::keyserver_address() const {
  return Loopback(keyserver_port_);
}
std::string DomainUnderTest::mailstore_address() const {
  return Loopback(mailstore_port_);
}
std::string DomainUnderTest::gateway_address() const { return Loopback(gateway_port_); }

std::string DomainUnderTest::LogTail(const std::string& service) const {
  std::ifstream file(absl::StrCat(dir_, "/", service, ".log"));
  std::stringstream text;
  text << file.rdbuf();
  const std::string all = text.str();
  return all.size() > 3000 ? all.substr(all.size() - 3000) : all;
}

bool DomainUnderTest::StartService(const std::string& name, std::vector<std::string> argv,
                                   cmtp::testing::Process& process, int& port) {
  const std::string port_file = absl::StrCat(dir_, "/", name, ".port");
  std::remove(port_file.c_str());
  argv.insert(argv.end(), {"--port-file", port_file});
  if (!process.Start(argv, {}, absl::StrCat(dir_, "/", name, ".log"))) {
    error_ = absl::StrCat("cannot start ", argv[0]);
    return false;
  }
  // A service writes its port file once it listens, and may still give up on
  // a check after that (the gateway compares its key with the keyserver's).
  const int bound = cmtp::testing::WaitForPortFile(port_file);
  if (bound == 0 ||
      (std::this_thread::sleep_for(std::chrono::milliseconds(100)), !process.Running())) {
    error_ = absl::StrCat(domain_, ": ", name, " did not start:\n", LogTail(name));
    return false;
  }
  if (port == 0) port = bound;
  return true;
}

bool DomainUnderTest::Start() {
  absl::StatusOr<crypto::KeyPair> key = crypto::LoadOrCreateServerKey(server_key_file_);
  if (!key.ok()) {
    error_ = std::string(key.status().message());
    return false;
  }
  server_key_ = *std::move(key);
  if (!redis_.Start()) {
    error_ = absl::StrCat(domain_, ": redis-server did not start");
    return false;
  }
  return StartKeyserver() && StartMailstore();
}

bool DomainUnderTest::StartKeyserver() {
  return StartService(
      "keyserver",
      {Binary("keyserver"), "--listen", keyserver_address(), "--redis", redis_.address(),
       "--domain", domain_, "--server-key-file", server_key_file_},
      keyserver_, keyserver_port_);
}

absl::StatusOr<crypto::KeyPair> DomainUnderTest::RestartWithNewServerKey() {
  gateway_.Stop(SIGTERM);
  keyserver_.Stop(SIGTERM);
  server_key_file_ = absl::StrCat(dir_, "/server-", ++key_generation_, ".key");
  absl::StatusOr<crypto::KeyPair> key = crypto::LoadOrCreateServerKey(server_key_file_);
  if (!key.ok()) return key.status();
  if (!StartKeyserver() || !StartGateway()) return error::Unavailable(error_);
  server_key_ = *std::move(key);
  return crypto::KeyPairFromSecretKey(server_key_.secret_key.view());
}

bool DomainUnderTest::StartMailstore() {
  return StartService(
      "mailstore",
      {Binary("mailstore"), "--listen", mailstore_address(), "--redis", redis_.address()},
      mailstore_, mailstore_port_);
}

void DomainUnderTest::StopMailstore() { mailstore_.Stop(SIGTERM); }

bool DomainUnderTest::StartGateway() {
  return StartService(
      "gateway",
      {Binary("gateway"), "--listen-address", "127.0.0.1", "--port",
       std::to_string(gateway_port_), "--domain", domain_, "--keyserver",
       keyserver_address(), "--mailstore", mailstore_address(), "--server-key-file",
       server_key_file_, "--shutdown-grace-seconds", "1"},
      gateway_, gateway_port_);
}

void DomainUnderTest::StopGateway() { gateway_.Stop(SIGTERM); }
void DomainUnderTest::PauseGateway() { kill(gateway_.pid(), SIGSTOP); }
void DomainUnderTest::ResumeGateway() { kill(gateway_.pid(), SIGCONT); }

absl::StatusOr<crypto::KeyPair> DomainUnderTest::Register(const std::string& account) {
  const client::MailAddress address{account, domain_};
  absl::StatusOr<client::NewAccount> made = client::MakeNewAccount(
      address, "the password of " + address.ToString(), crypto::KdfCost::kInteractive);
  if (!made.ok()) return made.status();
  auto stub = v1::KeyServer::NewStub(rpc::MakeChannel(keyserver_address()));
  grpc::ClientContext context;
  SetDeadline(context);
  v1::RegisterRequest request;
  request.set_account(account);
  request.set_domain(domain_);
  request.set_public_key(made->identity.public_key);
  request.set_xzibit(made->xzibit);
  request.set_login_public_key(made->login_public_key);
  request.set_signature(made->signature);
  v1::RegisterResponse response;
  const grpc::Status status = stub->Register(&context, request, &response);
  if (!status.ok()) return rpc::FromGrpcStatus(status);
  return std::move(made->identity);
}

absl::StatusOr<std::vector<std::string>> DomainUnderTest::MailboxIds(
    const std::string& account) {
  auto stub = v1::MailStore::NewStub(rpc::MakeChannel(mailstore_address()));
  grpc::ClientContext context;
  SetDeadline(context);
  v1::ListRequest request;
  request.set_mailbox(account);
  v1::ListResponse response;
  const grpc::Status status = stub->List(&context, request, &response);
  if (!status.ok()) return rpc::FromGrpcStatus(status);
  std::vector<std::string> ids;
  for (const v1::MessageMeta& meta : response.messages())
    ids.push_back(meta.message_id());
  return ids;
}

absl::StatusOr<std::string> DomainUnderTest::MailboxBlob(const std::string& account,
                                                         const std::string& message_id) {
  auto stub = v1::MailStore::NewStub(rpc::MakeChannel(mailstore_address()));
  grpc::ClientContext context;
  SetDeadline(context);
  v1::GetRequest request;
  request.set_mailbox(account);
  request.set_message_id(message_id);
  v1::GetResponse response;
  const grpc::Status status = stub->Get(&context, request, &response);
  if (!status.ok()) return rpc::FromGrpcStatus(status);
  return std::move(*response.mutable_blob());
}

RelayUnderTest::RelayUnderTest(DomainUnderTest& home,
                               std::map<std::string, std::string> static_peers,
                               RelayOptions options, std::function<int64_t()> wall_now_ms)
    : home_(home),
      static_peers_(std::move(static_peers)),
      options_(std::move(options)),
      wall_now_ms_(std::move(wall_now_ms)) {
  options_.domain = home_.domain();
}

RelayUnderTest::~RelayUnderTest() {
  if (relay_ != nullptr) relay_->engine().Stop(std::chrono::seconds(30));
}

bool RelayUnderTest::Start() {
  if (!redis_server_.Start()) {
    error_ = "the relay's redis-server did not start";
    return false;
  }
  redis::PoolOptions pool_options;
  pool_options.address = redis_server_.address();
  absl::StatusOr<std::unique_ptr<redis::ConnectionPool>> pool =
      redis::ConnectionPool::Create(pool_options);
  if (!pool.ok()) {
    error_ = std::string(pool.status().message());
    return false;
  }
  redis_pool_ = *std::move(pool);
  DiscoveryOptions discovery_options;
  discovery_options.static_peers = static_peers_;
  discovery_options.now_ms = RealSteadyClockMs;
  absl::StatusOr<std::unique_ptr<Discovery>> discovery =
      MakeCaresDiscovery(discovery_options);
  if (!discovery.ok()) {
    error_ = std::string(discovery.status().message());
    return false;
  }
  discovery_ = *std::move(discovery);
  accounts_ = std::make_unique<GrpcLocalAccounts>(
      rpc::MakeChannel(home_.keyserver_address()), kRpcDeadline);
  mailboxes_ = std::make_unique<GrpcLocalMailboxes>(
      rpc::MakeChannel(home_.mailstore_address()), kRpcDeadline);
  relay_ = std::make_unique<RelayInstance>(
      RelayDependencies{*redis_pool_, *discovery_, *accounts_, *mailboxes_,
                        home_.server_key(), wall_now_ms_, RealSteadyClockMs},
      options_);
  return true;
}

NewMessage ForeignMail::AsNewMessage() const {
  NewMessage message;
  message.message_id = message_id;
  message.message = bytes;
  message.dst_account = dst_account;
  message.dst_domain = dst_domain;
  message.src_account = src_account;
  message.src_domain = src_domain;
  message.request_id = "test-request";
  return message;
}

absl::StatusOr<ForeignMail> MakeForeignMail(
    const DomainUnderTest& home, const std::string& sender_account,
    const crypto::KeyPair& sender, const std::string& recipient_address,
    const std::string& recipient_key, const std::string& text, int64_t accepted_ms) {
  absl::StatusOr<client::MailAddress> recipient =
      client::ParseMailAddress(recipient_address);
  if (!recipient.ok()) return recipient.status();
  client::OutgoingMail outgoing;
  outgoing.sender = client::MailAddress{sender_account, home.domain()};
  outgoing.recipient = *recipient;
  outgoing.recipient_public_key = recipient_key;
  outgoing.inner.timestamp_unix_ms = accepted_ms;
  outgoing.inner.from = outgoing.sender.ToString();
  outgoing.inner.to = recipient->ToString();
  outgoing.inner.subject = "relay test";
  outgoing.inner.text = text;
  absl::StatusOr<wire::MailMessage> built = client::BuildMail(outgoing, sender);
  if (!built.ok()) return built.status();
  ForeignMail mail;
  mail.message_id = wire::MessageId(*built);
  // What the home gateway does before queueing: its own signed log entry.
  absl::StatusOr<std::string> stamped =
      crypto::AppendLogEntry(built->bytes, home.domain(), accepted_ms, mail.message_id,
                             home.server_key().secret_key.view(), wire::Limits{}.max_log);
  if (!stamped.ok()) return stamped.status();
  mail.bytes = *std::move(stamped);
  mail.dst_account = recipient->account;
  mail.dst_domain = recipient->domain;
  mail.src_account = sender_account;
  mail.src_domain = home.domain();
  return mail;
}

absl::StatusOr<crypto::DecodedInner> OpenInner(const std::string& message_bytes,
                                               const crypto::KeyPair& owner) {
  absl::StatusOr<wire::MailMessage> message =
      wire::ParseMessage(message_bytes, wire::Limits{});
  if (!message.ok()) return message.status();
  absl::StatusOr<std::string> plaintext = crypto::OpenSealed(owner, message->body());
  if (!plaintext.ok()) return plaintext.status();
  return crypto::DecodeInner(*plaintext);
}

}  // namespace cmtp::relay::testing
