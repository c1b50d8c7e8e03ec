// Delivery end to end: a relay for alpha.test (assembled in the test, with a
// fake clock) delivering to beta.test, whose keyserver, mailstore and gateway
// are the real binaries. Failure notices land in alpha's real mailstore.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lib/client/session.h"
#include "lib/crypto/log_entry.h"
#include "lib/crypto/protocol_signatures.h"
#include "lib/crypto/server_key.h"
#include "lib/wire/message_id.h"
#include "lib/wire/message_parser.h"
#include "lib/wire/serializer.h"
#include "tests/support/ports.h"
#include "tests/unit/client/fake_cmtp_server.h"
#include "tests/unit/relay/relay_test_env.h"

namespace cmtp::relay {
namespace {

using testing::DomainUnderTest;
using testing::FakeClock;
using testing::ForeignMail;
using testing::RelayUnderTest;

constexpr int64_t kMinute = 60'000;

class DeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alpha_ = std::make_unique<DomainUnderTest>(
        "alpha.test", cmtp::testing::MakeTempDir("cmtp-relay-alpha-"));
    beta_ = std::make_unique<DomainUnderTest>(
        "beta.test", cmtp::testing::MakeTempDir("cmtp-relay-beta-"));
    ASSERT_TRUE(alpha_->Start()) << alpha_->error();
    ASSERT_TRUE(beta_->Start()) << beta_->error();
    ASSERT_TRUE(beta_->StartGateway()) << beta_->error();
    absl::StatusOr<crypto::KeyPair> alice = alpha_->Register("alice");
    ASSERT_TRUE(alice.ok()) << alice.status();
    alice_ = *std::move(alice);
    absl::StatusOr<crypto::KeyPair> bob = beta_->Register("bob");
    ASSERT_TRUE(bob.ok()) << bob.status();
    bob_ = *std::move(bob);
  }

  static RelayOptions Options() {
    RelayOptions options;
    options.workers = 2;
    options.connect_timeout = std::chrono::milliseconds(2000);
    options.io_timeout = std::chrono::milliseconds(2000);
    return options;
  }

  // The relay, finding beta.test (and `more_peers`) through the static map.
  void StartRelay(RelayOptions options = Options(),
                  std::map<std::string, std::string> more_peers = {}) {
    more_peers["beta.test"] = beta_->gateway_address();
    relay_ = std::make_unique<RelayUnderTest>(*alpha_, more_peers, std::move(options),
                                              clock_.AsFunction());
    ASSERT_TRUE(relay_->Start()) << relay_->error();
  }

  // The relay with its engine running and two workers, then beta hangs: the
  // workers that take a message stay busy with it. The dispatcher claims once
  // when it starts, then only when woken (no poll within a test): while a
  // claim is on its way no worker is reserved, so none may be running here.
  void StartRelayWithBetaHanging(RelayOptions options) {
    options.workers = 2;
    options.io_timeout = std::chrono::milliseconds(15'000);
    options.poll_interval_ms = 60'000;
    ASSERT_NO_FATAL_FAILURE(StartRelay(options));
    relay_->relay().engine().Start();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    beta_->PauseGateway();
  }

  ForeignMail MailTo(const std::string& address, const std::string& key,
                     const std::string& text) {
    absl::StatusOr<ForeignMail> mail = testing::MakeForeignMail(
        *alpha_, "alice", alice_, address, key, text, clock_.Now());
    EXPECT_TRUE(mail.ok()) << mail.status();
    return mail.ok() ? *std::move(mail) : ForeignMail();
  }

  ForeignMail Enqueue(const std::string& address, const std::string& key,
                      const std::string& text) {
    ForeignMail mail = MailTo(address, key, text);
    absl::StatusOr<EnqueueResult> queued = core().Enqueue(mail.AsNewMessage());
    EXPECT_TRUE(queued.ok()) << queued.status();
    return mail;
  }

  RelayCore& core() { return relay_->core(); }
  size_t Drain() { return relay_->relay().engine().DrainDue(); }

  std::optional<QueuedMessageInfo> Queued(const std::string& id) {
    absl::StatusOr<std::optional<QueuedMessageInfo>> info =
        relay_->relay().queue().Get(id);
    EXPECT_TRUE(info.ok()) << info.status();
    return info.ok() ? *info : std::nullopt;
  }

  size_t CountIn(DomainUnderTest& domain, const std::string& account,
                 const std::string& id) {
    absl::StatusOr<std::vector<std::string>> ids = domain.MailboxIds(account);
    EXPECT_TRUE(ids.ok()) << ids.status();
    return ids.ok() ? std::count(ids->begin(), ids->end(), id) : 0;
  }

  // The single failure notice in alice's mailbox, opened and checked to be
  // signed by alpha's server key.
  crypto::DecodedInner TheNoticeForAlice() {
    absl::StatusOr<std::vector<std::string>> ids = alpha_->MailboxIds("alice");
    EXPECT_TRUE(ids.ok()) << ids.status();
    if (!ids.ok() || ids->size() != 1) {
      ADD_FAILURE() << "alice has " << (ids.ok() ? ids->size() : 0) << " messages";
      return {};
    }
    absl::StatusOr<std::string> blob = alpha_->MailboxBlob("alice", ids->front());
    EXPECT_TRUE(blob.ok()) << blob.status();
    absl::StatusOr<wire::MailMessage> message =
        wire::ParseMessage(blob.ok() ? *blob : "", wire::Limits{});
    EXPECT_TRUE(message.ok()) << message.status();
    if (!message.ok()) return {};
    EXPECT_EQ(wire::MessageId(*message), ids->front());
    EXPECT_EQ(message->header.src_account, "postmaster");
    absl::StatusOr<crypto::DecodedInner> inner = testing::OpenInner(*blob, alice_);
    EXPECT_TRUE(inner.ok()) << inner.status();
    if (!inner.ok()) return {};
    EXPECT_TRUE(crypto::VerifyInner(*inner, alpha_->server_key().public_key));
    EXPECT_EQ(inner->message.from, "postmaster@alpha.test");
    EXPECT_EQ(inner->message.to, "alice@alpha.test");
    return *std::move(inner);
  }

  // True once nothing is queued any more (the engine delivering).
  bool QueueEmptiesWithin(std::chrono::seconds timeout) {
    return cmtp::testing::WaitFor(
        [&] {
          absl::StatusOr<uint64_t> depth = relay_->relay().queue().Depth();
          return depth.ok() && *depth == 0;
        },
        timeout);
  }

  StatsSnapshot Stats() {
    absl::StatusOr<RelayStatsView> stats = core().Stats();
    EXPECT_TRUE(stats.ok()) << stats.status();
    return stats.ok() ? stats->counters : StatsSnapshot();
  }

  FakeClock clock_;
  std::unique_ptr<DomainUnderTest> alpha_;
  std::unique_ptr<DomainUnderTest> beta_;
  crypto::KeyPair alice_;
  crypto::KeyPair bob_;
  std::unique_ptr<RelayUnderTest> relay_;
};

TEST_F(DeliveryTest, ASuccessStoresTheMessageOnceAndEndsTheDelivery) {
  StartRelay();
  const ForeignMail mail = Enqueue("bob@beta.test", bob_.public_key, "hello bob\n");
  clock_.Advance(1500);
  EXPECT_EQ(Drain(), 1u);

  EXPECT_FALSE(Queued(mail.message_id).has_value());
  EXPECT_EQ(CountIn(*beta_, "bob", mail.message_id), 1u);
  // bob reads what alice wrote, and the path shows both servers.
  absl::StatusOr<std::string> stored = beta_->MailboxBlob("bob", mail.message_id);
  ASSERT_TRUE(stored.ok()) << stored.status();
  absl::StatusOr<crypto::DecodedInner> inner = testing::OpenInner(*stored, bob_);
  ASSERT_TRUE(inner.ok()) << inner.status();
  EXPECT_EQ(inner->message.text, "hello bob\n");
  EXPECT_TRUE(crypto::VerifyInner(*inner, alice_.public_key));
  absl::StatusOr<wire::MailMessage> parsed = wire::ParseMessage(*stored, wire::Limits{});
  ASSERT_TRUE(parsed.ok());
  std::vector<crypto::LogLine> hops = crypto::ParseLogEntries(parsed->log());
  ASSERT_EQ(hops.size(), 2u);
  ASSERT_TRUE(hops[0].entry.has_value() && hops[1].entry.has_value());
  EXPECT_TRUE(crypto::VerifyLogEntry(*hops[0].entry, mail.message_id,
                                     alpha_->server_key().public_key));
  EXPECT_TRUE(crypto::VerifyLogEntry(*hops[1].entry, mail.message_id,
                                     beta_->server_key().public_key));

  const StatsSnapshot stats = Stats();
  EXPECT_EQ(stats.delivery_attempts, 1u);
  EXPECT_EQ(stats.deliveries, 1u);
  EXPECT_EQ(stats.delivery_failures, 0u);
  EXPECT_EQ(stats.latency_cumulative[3], 0u);  // <= 0.5 s: it took 1.5 s
  EXPECT_EQ(stats.latency_cumulative[5], 1u);  // <= 5 s
  EXPECT_DOUBLE_EQ(stats.latency_sum_seconds, 1.5);
  // First contact pinned beta's server key.
  absl::StatusOr<std::optional<Pin>> pin = relay_->relay().pins().Get("beta.test");
  ASSERT_TRUE(pin.ok() && pin->has_value());
  EXPECT_EQ((*pin)->server_public_key, beta_->server_key().public_key);

  // The same message queued again (a client's retry) is stored once.
  ASSERT_TRUE(core().Enqueue(mail.AsNewMessage()).ok());
  EXPECT_EQ(Drain(), 1u);
  EXPECT_EQ(CountIn(*beta_, "bob", mail.message_id), 1u);
}

TEST_F(DeliveryTest, AFailureReplyBouncesAtOnceWithThePeersReason) {
  StartRelay();
  const ForeignMail mail = Enqueue(
      "carol@beta.test", crypto::GenerateKeyPair().public_key, "carol does not exist\n");
  EXPECT_EQ(Drain(), 1u);
  EXPECT_FALSE(Queued(mail.message_id).has_value());

  const crypto::DecodedInner notice = TheNoticeForAlice();
  EXPECT_EQ(notice.message.subject,
            "Undeliverable: message " + mail.message_id + " to carol@beta.test");
  EXPECT_NE(notice.message.text.find("beta.test refused the message: no such account"),
            std::string::npos)
      << notice.message.text;
  EXPECT_NE(notice.message.text.find("Attempts: 1\n"), std::string::npos);

  const StatsSnapshot stats = Stats();
  EXPECT_EQ(stats.bounces, 1u);
  EXPECT_EQ(stats.delivery_failures, 0u);
  EXPECT_EQ(stats.deliveries, 0u);
  // Nothing left to retry.
  clock_.Advance(10 * kMinute);
  EXPECT_EQ(Drain(), 0u);
}

TEST_F(DeliveryTest, ADestinationThatIsDownGetsTheMessageWhenItIsBack) {
  StartRelay();
  beta_->StopGateway();
  const ForeignMail mail = Enqueue("bob@beta.test", bob_.public_key, "are you there?\n");
  EXPECT_EQ(Drain(), 1u);

  std::optional<QueuedMessageInfo> waiting = Queued(mail.message_id);
  ASSERT_TRUE(waiting.has_value());
  EXPECT_EQ(waiting->attempts, 1u);
  EXPECT_NE(waiting->last_error.find("cannot reach beta.test"), std::string::npos)
      << waiting->last_error;
  EXPECT_EQ(waiting->next_attempt_ms, clock_.Now() + kMinute);
  // Not due before the first retry wait is over.
  clock_.Advance(kMinute - 1);
  EXPECT_EQ(Drain(), 0u);

  ASSERT_TRUE(beta_->StartGateway()) << beta_->error();
  clock_.Advance(1);
  EXPECT_EQ(Drain(), 1u);
  EXPECT_FALSE(Queued(mail.message_id).has_value());
  EXPECT_EQ(CountIn(*beta_, "bob", mail.message_id), 1u);
  const StatsSnapshot stats = Stats();
  EXPECT_EQ(stats.delivery_attempts, 2u);
  EXPECT_EQ(stats.delivery_failures, 1u);
  EXPECT_EQ(stats.deliveries, 1u);
}

TEST_F(DeliveryTest, RetriesFollowTheScheduleAndTheLifetimeEndsInANotice) {
  RelayOptions options = Options();
  options.max_queue_lifetime_ms = 30 * kMinute;
  StartRelay(options);
  beta_->StopGateway();
  const int64_t queued_at = clock_.Now();
  const ForeignMail mail = Enqueue("bob@beta.test", bob_.public_key, "never arrives\n");

  // 1 min, 5 min, 15 min after each failure, then capped by the lifetime.
  const int64_t expected_waits[] = {kMinute, 5 * kMinute, 15 * kMinute};
  for (int64_t wait : expected_waits) {
    EXPECT_EQ(Drain(), 1u);
    std::optional<QueuedMessageInfo> info = Queued(mail.message_id);
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->next_attempt_ms, clock_.Now() + wait);
    clock_.Advance(wait);
  }
  // 21 min in; the next wait (30 min) would pass the lifetime: the last
  // attempt is when it ends.
  EXPECT_EQ(Drain(), 1u);
  std::optional<QueuedMessageInfo> last = Queued(mail.message_id);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->attempts, 4u);
  EXPECT_EQ(last->next_attempt_ms, queued_at + 30 * kMinute);
  clock_.Advance(last->next_attempt_ms - clock_.Now());
  EXPECT_EQ(Drain(), 1u);

  EXPECT_FALSE(Queued(mail.message_id).has_value());
  const crypto::DecodedInner notice = TheNoticeForAlice();
  EXPECT_NE(notice.message.text.find("gave up after 5 attempts in 1800 s"),
            std::string::npos)
      << notice.message.text;
  EXPECT_NE(notice.message.text.find("cannot reach beta.test"), std::string::npos);
  EXPECT_NE(notice.message.text.find("Destination: bob@beta.test"), std::string::npos);
  const StatsSnapshot stats = Stats();
  EXPECT_EQ(stats.bounces, 1u);
  EXPECT_EQ(stats.delivery_failures, 5u);
}

TEST_F(DeliveryTest, AMessageClaimedByARelayThatDiedIsDeliveredOnceAfterTheLease) {
  StartRelay();
  const ForeignMail mail = Enqueue("bob@beta.test", bob_.public_key, "only once\n");
  // Another relay claimed it, sent it (beta stored it), and was killed before
  // it could record the receipt.
  absl::StatusOr<std::vector<ClaimedMessage>> claimed =
      relay_->relay().queue().Claim(1, {}, 4);
  ASSERT_TRUE(claimed.ok() && claimed->size() == 1u);
  absl::StatusOr<client::Session> session = client::Session::Connect(
      client::Endpoint{"127.0.0.1", static_cast<uint16_t>(beta_->gateway_port())});
  ASSERT_TRUE(session.ok()) << session.status();
  absl::StatusOr<wire::MailMessage> parsed =
      wire::ParseMessage(mail.bytes, wire::Limits{});
  ASSERT_TRUE(parsed.ok());
  ASSERT_TRUE(session->SendMail(*parsed).ok());
  EXPECT_EQ(CountIn(*beta_, "bob", mail.message_id), 1u);

  EXPECT_EQ(Drain(), 0u) << "claimed messages are invisible while leased";
  clock_.Advance(Options().lease_ms);
  EXPECT_EQ(Drain(), 1u);
  EXPECT_FALSE(Queued(mail.message_id).has_value());
  EXPECT_EQ(CountIn(*beta_, "bob", mail.message_id), 1u);
}

TEST_F(DeliveryTest, AChangedServerKeyIsRefusedUntilAnOperatorRepins) {
  StartRelay();
  const ForeignMail first = Enqueue("bob@beta.test", bob_.public_key, "first\n");
  ASSERT_EQ(Drain(), 1u);
  ASSERT_EQ(CountIn(*beta_, "bob", first.message_id), 1u);

  // beta.test comes back presenting another server key.
  const std::string old_key = beta_->server_key().public_key;
  absl::StatusOr<crypto::KeyPair> other = beta_->RestartWithNewServerKey();
  ASSERT_TRUE(other.ok()) << other.status();

  const ForeignMail second = Enqueue("bob@beta.test", bob_.public_key, "second\n");
  EXPECT_EQ(Drain(), 1u);
  std::optional<QueuedMessageInfo> refused = Queued(second.message_id);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->last_error,
            PinRefusalMessage("beta.test", old_key, other->public_key));
  EXPECT_EQ(CountIn(*beta_, "bob", second.message_id), 0u);
  absl::StatusOr<std::vector<Pin>> pins = core().ListPins();
  ASSERT_TRUE(pins.ok() && pins->size() == 1u);
  EXPECT_EQ((*pins)[0].server_public_key, old_key);
  EXPECT_EQ((*pins)[0].refused_public_key, other->public_key);
  EXPECT_EQ((*pins)[0].refusals, 1u);
  EXPECT_EQ(Stats().pin_refusals, 1u);

  // The operator checked the new key and pins it; the retry goes through.
  ASSERT_TRUE(core().Repin("beta.test", other->public_key).ok());
  EXPECT_EQ(*core().RetryNow(second.message_id), 1u);
  EXPECT_EQ(Drain(), 1u);
  EXPECT_EQ(CountIn(*beta_, "bob", second.message_id), 1u);
  EXPECT_FALSE(Queued(second.message_id).has_value());
}

// An idle connection's key is checked against the pin again only once
// --pin-recheck-ms has passed: within it, a re-pin reaches new connections
// only; with 0, the very next reuse.
TEST_F(DeliveryTest,
       AReusedConnectionIsCheckedAgainstThePinOnceTheRecheckIntervalPassed) {
  for (const int64_t recheck_ms : {int64_t{3'600'000}, int64_t{0}}) {
    SCOPED_TRACE(recheck_ms);
    RelayOptions options = Options();
    options.workers = 1;
    options.pin_recheck_ms = recheck_ms;
    StartRelay(options);
    ASSERT_TRUE(core().Repin("beta.test", "").ok());  // no pin left by the last round
    const ForeignMail first = Enqueue("bob@beta.test", bob_.public_key, "first\n");
    ASSERT_EQ(Drain(), 1u);
    ASSERT_EQ(CountIn(*beta_, "bob", first.message_id), 1u);

    // An operator pins another key while the connection is idle.
    const std::string pinned_now = crypto::GenerateKeyPair().public_key;
    ASSERT_TRUE(core().Repin("beta.test", pinned_now).ok());
    const ForeignMail second = Enqueue("bob@beta.test", bob_.public_key, "second\n");
    EXPECT_EQ(Drain(), 1u);
    if (recheck_ms > 0) {
      EXPECT_EQ(CountIn(*beta_, "bob", second.message_id), 1u);
      EXPECT_FALSE(Queued(second.message_id).has_value());
    } else {
      EXPECT_EQ(CountIn(*beta_, "bob", second.message_id), 0u);
      std::optional<QueuedMessageInfo> refused = Queued(second.message_id);
      ASSERT_TRUE(refused.has_value());
      EXPECT_EQ(refused->last_error, PinRefusalMessage("beta.test", pinned_now,
                                                       beta_->server_key().public_key));
      ASSERT_TRUE(relay_->relay().queue().Remove(second.message_id).ok());
    }
    relay_.reset();
  }
}

TEST_F(DeliveryTest, AReplyThatDoesNotVerifyIsATemporaryFailure) {
  // fake.test presents a self-signed key but signs its receipts with another.
  const crypto::KeyPair presented = crypto::GenerateKeyPair();
  const crypto::KeyPair signer = crypto::GenerateKeyPair();
  cmtp::testing::FakeCmtpServer fake(
      [&](const wire::Command& command) -> std::optional<std::string> {
        if (command.kind == wire::CommandKind::kKeyRequest) {
          return crypto::MakeKeyBlock(presented.secret_key.view(), presented.public_key);
        }
        if (command.kind == wire::CommandKind::kMail) {
          return wire::StatusReply(crypto::MakeStatus(signer.secret_key.view(), true,
                                                      command.mail.bytes,
                                                      wire::MessageId(command.mail)));
        }
        return std::nullopt;
      },
      std::string(wire::kBanner) + '\0');
  ASSERT_TRUE(fake.listening());
  StartRelay(Options(), {{"fake.test", fake.endpoint().ToString()}});
  const ForeignMail mail =
      Enqueue("someone@fake.test", crypto::GenerateKeyPair().public_key,
              "a receipt we cannot trust\n");
  EXPECT_EQ(Drain(), 1u);
  std::optional<QueuedMessageInfo> info = Queued(mail.message_id);
  ASSERT_TRUE(info.has_value()) << "an unverifiable SUCCESS is no receipt";
  EXPECT_EQ(info->last_error,
            "the SUCCESS reply of fake.test does not verify with its pinned server key");
  EXPECT_EQ(info->attempts, 1u);
  EXPECT_EQ(Stats().deliveries, 0u);
}

// A reference server: banner, its key on KEYREQUEST\0\0, then it reads
// everything and answers nothing. Records every byte after the key request.
class ReferenceListener {
 public:
  explicit ReferenceListener(const crypto::KeyPair& key) : key_(key) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        listen(fd_, 4) != 0) {
      return;
    }
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ReferenceListener() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  // Waits for the connection to end; returns what came after KEYREQUEST.
  std::string TakeReceived() {
    if (thread_.joinable()) thread_.join();
    return received_;
  }

 private:
  void Serve() {
    const int connection = accept(fd_, nullptr, nullptr);
    if (connection < 0) return;
    const std::string banner = std::string(wire::kBanner) + '\0';
    send(connection, banner.data(), banner.size(), MSG_NOSIGNAL);
    std::string buffer;
    bool answered_key = false;
    char chunk[65536];
    for (;;) {
      const ssize_t got = recv(connection, chunk, sizeof(chunk), 0);
      if (got <= 0) break;
      buffer.append(chunk, static_cast<size_t>(got));
      const std::string key_request("KEYREQUEST\0\0", 12);
      if (!answered_key && buffer.size() >= key_request.size()) {
        if (buffer.compare(0, key_request.size(), key_request) != 0) break;
        buffer.erase(0, key_request.size());
        const std::string block =
            crypto::MakeKeyBlock(key_.secret_key.view(), key_.public_key);
        send(connection, block.data(), block.size(), MSG_NOSIGNAL);
        answered_key = true;
      }
    }
    received_ = buffer;
    close(connection);
  }

  const crypto::KeyPair& key_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string received_;
};

TEST_F(DeliveryTest, AReferencePeerGetsTheTrailerAndNoReplyIsAwaited) {
  const crypto::KeyPair reference_key = crypto::GenerateKeyPair();
  ReferenceListener reference(reference_key);
  ASSERT_NE(reference.port(), 0);
  RelayOptions options = Options();
  options.reference_peers = {"ref.test"};
  StartRelay(options, {{"ref.test", "127.0.0.1:" + std::to_string(reference.port())}});
  const ForeignMail mail = Enqueue("bob@ref.test", crypto::GenerateKeyPair().public_key,
                                   "to the old server\n");
  EXPECT_EQ(Drain(), 1u);
  EXPECT_FALSE(Queued(mail.message_id).has_value());
  EXPECT_EQ(reference.TakeReceived(), std::string("MAIL\0", 5) + mail.bytes +
                                          std::string(64, '\0') +
                                          std::string("OBAI\0", 5));
  EXPECT_EQ(Stats().deliveries, 1u);
  // Trust on first use all the same.
  absl::StatusOr<std::optional<Pin>> pin = relay_->relay().pins().Get("ref.test");
  ASSERT_TRUE(pin.ok() && pin->has_value());
  EXPECT_EQ((*pin)->server_public_key, reference_key.public_key);
}

// An attempt that outlasts its lease (a peer that hangs) keeps the message:
// the engine renews the lease while the attempt is in flight, so no other
// replica claims it and it is delivered once.
TEST_F(DeliveryTest, TheLeaseOfASlowAttemptIsRenewedUntilItEnds) {
  RelayOptions options = Options();
  options.poll_interval_ms = 10;
  options.io_timeout = std::chrono::milliseconds(20'000);
  StartRelay(options);
  beta_->PauseGateway();
  relay_->relay().engine().Start();
  const ForeignMail mail = Enqueue("bob@beta.test", bob_.public_key, "slow\n");
  OutboundQueue& queue = relay_->relay().queue();
  // Claimed, and the attempt hangs on the paused peer.
  ASSERT_TRUE(cmtp::testing::WaitFor(
      [&] {
        std::optional<QueuedMessageInfo> info = Queued(mail.message_id);
        return info.has_value() && info->next_attempt_ms > clock_.Now();
      },
      std::chrono::seconds(5)));
  const int64_t first_lease_end = Queued(mail.message_id)->next_attempt_ms;
  // Three quarters of the lease pass: the dispatcher renews it.
  clock_.Advance(options.lease_ms * 3 / 4);
  ASSERT_TRUE(cmtp::testing::WaitFor(
      [&] {
        std::optional<QueuedMessageInfo> info = Queued(mail.message_id);
        return info.has_value() && info->next_attempt_ms > first_lease_end;
      },
      std::chrono::seconds(5)))
      << "the lease was not renewed";
  // Past the first lease: another replica finds nothing to claim.
  clock_.Advance(options.lease_ms / 2);
  absl::StatusOr<std::vector<ClaimedMessage>> stolen = queue.Claim(10, {}, 10);
  ASSERT_TRUE(stolen.ok()) << stolen.status();
  EXPECT_TRUE(stolen->empty()) << "a message being delivered was claimed again";

  beta_->ResumeGateway();
  ASSERT_TRUE(cmtp::testing::WaitFor([&] { return !Queued(mail.message_id).has_value(); },
                                     std::chrono::seconds(20)));
  ASSERT_TRUE(relay_->relay().engine().Stop(std::chrono::seconds(10)));
  EXPECT_EQ(CountIn(*beta_, "bob", mail.message_id), 1u);
  EXPECT_EQ(Stats().delivery_attempts, 1u);
  EXPECT_EQ(Stats().deliveries, 1u);
}

// The poll interval is only a fallback: a burst to one destination, several
// times its cap, is delivered without waiting for a single poll (the old
// dispatcher slept a whole interval whenever the destination was at its cap).
TEST_F(DeliveryTest, ABacklogForOneDestinationDrainsWithoutWaitingForPolls) {
  RelayOptions options = Options();
  options.workers = 4;
  options.max_per_destination = 2;
  options.poll_interval_ms = 60'000;
  StartRelay(options);
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    ids.push_back(
        Enqueue("bob@beta.test", bob_.public_key, "burst " + std::to_string(i) + "\n")
            .message_id);
  }
  // Started after the enqueues: only the first claim comes from a poll.
  relay_->relay().engine().Start();
  ASSERT_TRUE(QueueEmptiesWithin(std::chrono::seconds(20)))
      << "still queued: " << *relay_->relay().queue().Depth();
  ASSERT_TRUE(relay_->relay().engine().Stop(std::chrono::seconds(10)));
  for (const std::string& id : ids) EXPECT_EQ(CountIn(*beta_, "bob", id), 1u) << id;
  EXPECT_EQ(Stats().deliveries, 20u);
}

TEST_F(DeliveryTest, TheWorkersDeliverEverythingQueuedWithoutBeingAsked) {
  RelayOptions options = Options();
  options.workers = 3;
  options.max_per_destination = 2;
  StartRelay(options);
  relay_->relay().engine().Start();
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(
        Enqueue("bob@beta.test", bob_.public_key, "message " + std::to_string(i) + "\n")
            .message_id);
  }
  ASSERT_TRUE(QueueEmptiesWithin(std::chrono::seconds(20)));
  ASSERT_TRUE(relay_->relay().engine().Stop(std::chrono::seconds(10)));
  for (const std::string& id : ids) EXPECT_EQ(CountIn(*beta_, "bob", id), 1u) << id;
  EXPECT_EQ(Stats().deliveries, 6u);
  // One connection served several messages.
  EXPECT_GE(relay_->relay().idle_connections().size(), 1u);
}

// A message queued through a relay with a free worker (and a free slot of
// its destination) is queued claimed and goes straight to that worker; the
// rest is queued due and claimed as workers free up.
TEST_F(DeliveryTest, AMessageQueuedWhileAWorkerIsFreeGoesStraightToIt) {
  RelayOptions options = Options();
  options.max_per_destination = 2;
  ASSERT_NO_FATAL_FAILURE(StartRelayWithBetaHanging(options));
  std::vector<std::string> ids;
  std::vector<bool> handed;
  for (int i = 0; i < 3; ++i) {
    const ForeignMail mail =
        MailTo("bob@beta.test", bob_.public_key, "message " + std::to_string(i) + "\n");
    absl::StatusOr<EnqueueResult> queued = core().Enqueue(mail.AsNewMessage());
    ASSERT_TRUE(queued.ok()) << queued.status();
    ids.push_back(mail.message_id);
    handed.push_back(queued->handed_to_worker);
  }
  EXPECT_EQ(handed, (std::vector<bool>{true, true, false}));
  // Claimed at once, under a lease; the third waits, due.
  EXPECT_EQ(Queued(ids[0])->next_attempt_ms, clock_.Now() + options.lease_ms);
  EXPECT_EQ(Queued(ids[1])->next_attempt_ms, clock_.Now() + options.lease_ms);
  EXPECT_EQ(Queued(ids[2])->next_attempt_ms, clock_.Now());
  beta_->ResumeGateway();
  ASSERT_TRUE(QueueEmptiesWithin(std::chrono::seconds(20)));
  ASSERT_TRUE(relay_->relay().engine().Stop(std::chrono::seconds(10)));
  for (const std::string& id : ids) EXPECT_EQ(CountIn(*beta_, "bob", id), 1u) << id;
  EXPECT_EQ(Stats().deliveries, 3u);
}

// A batch: each message is checked on its own (a bad one fails alone), the
// good ones go in one queue write, a free worker takes what it can at once,
// and the rest is delivered by claims.
TEST_F(DeliveryTest, ABatchQueuesItsGoodMessagesAndRefusesEachBadOneAlone) {
  RelayOptions options = Options();
  options.max_per_destination = 1;
  options.max_batch_enqueues = 5;
  ASSERT_NO_FATAL_FAILURE(StartRelayWithBetaHanging(options));
  std::vector<ForeignMail> mails;
  for (int i = 0; i < 3; ++i) {
    mails.push_back(
        MailTo("bob@beta.test", bob_.public_key, "batched " + std::to_string(i) + "\n"));
  }
  ForeignMail tampered = MailTo("bob@beta.test", bob_.public_key, "tampered\n");
  tampered.dst_account = "mallory";
  ForeignMail not_ours = MailTo("bob@beta.test", bob_.public_key, "garbage\n");
  not_ours.bytes = "garbage";

  // Over the batch limit: refused whole, nothing queued.
  std::vector<NewMessage> too_many(6, mails[0].AsNewMessage());
  absl::StatusOr<std::vector<absl::StatusOr<EnqueueResult>>> refused =
      core().EnqueueMany(too_many);
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status())) << refused.status();
  EXPECT_FALSE(Queued(mails[0].message_id).has_value());
  EXPECT_TRUE(absl::IsInvalidArgument(core().EnqueueMany({}).status()));

  absl::StatusOr<std::vector<absl::StatusOr<EnqueueResult>>> outcomes =
      core().EnqueueMany({mails[0].AsNewMessage(), tampered.AsNewMessage(),
                          mails[1].AsNewMessage(), not_ours.AsNewMessage(),
                          mails[2].AsNewMessage()});
  ASSERT_TRUE(outcomes.ok()) << outcomes.status();
  ASSERT_EQ(outcomes->size(), 5u);
  ASSERT_TRUE((*outcomes)[0].ok()) << (*outcomes)[0].status();
  EXPECT_TRUE(absl::IsInvalidArgument((*outcomes)[1].status()))
      << (*outcomes)[1].status();
  ASSERT_TRUE((*outcomes)[2].ok()) << (*outcomes)[2].status();
  EXPECT_TRUE(absl::IsInvalidArgument((*outcomes)[3].status()))
      << (*outcomes)[3].status();
  ASSERT_TRUE((*outcomes)[4].ok()) << (*outcomes)[4].status();
  // One slot for beta.test: the first good message went to a worker at once.
  EXPECT_TRUE((*outcomes)[0]->handed_to_worker);
  EXPECT_FALSE((*outcomes)[2]->handed_to_worker);
  EXPECT_FALSE((*outcomes)[4]->handed_to_worker);
  EXPECT_EQ(Queued(mails[0].message_id)->next_attempt_ms,
            clock_.Now() + options.lease_ms);
  EXPECT_EQ(Queued(mails[1].message_id)->next_attempt_ms, clock_.Now());
  EXPECT_FALSE(Queued(tampered.message_id).has_value());

  // The same batch again: every good message is a duplicate.
  absl::StatusOr<std::vector<absl::StatusOr<EnqueueResult>>> again =
      core().EnqueueMany({mails[0].AsNewMessage(), mails[2].AsNewMessage()});
  ASSERT_TRUE(again.ok()) << again.status();
  for (const absl::StatusOr<EnqueueResult>& one : *again) {
    ASSERT_TRUE(one.ok()) << one.status();
    EXPECT_TRUE(one->duplicate);
    EXPECT_FALSE(one->handed_to_worker);
  }
  beta_->ResumeGateway();
  ASSERT_TRUE(QueueEmptiesWithin(std::chrono::seconds(20)));
  ASSERT_TRUE(relay_->relay().engine().Stop(std::chrono::seconds(10)));
  for (const ForeignMail& mail : mails) {
    EXPECT_EQ(CountIn(*beta_, "bob", mail.message_id), 1u) << mail.message_id;
  }
  EXPECT_EQ(Stats().deliveries, 3u);
}

TEST_F(DeliveryTest, DroppingTellsTheSenderOnlyWhenAsked) {
  StartRelay();
  beta_->StopGateway();
  const ForeignMail quiet =
      Enqueue("bob@beta.test", bob_.public_key, "drop me quietly\n");
  const ForeignMail noisy = Enqueue("bob@beta.test", bob_.public_key, "drop and tell\n");
  ASSERT_EQ(Drain(), 2u);
  ASSERT_TRUE(core().Drop(quiet.message_id, false).ok());
  EXPECT_TRUE(absl::IsNotFound(core().Drop(quiet.message_id, false)));
  EXPECT_TRUE(alpha_->MailboxIds("alice")->empty());

  ASSERT_TRUE(core().Drop(noisy.message_id, true).ok());
  EXPECT_FALSE(Queued(noisy.message_id).has_value());
  const crypto::DecodedInner notice = TheNoticeForAlice();
  EXPECT_NE(notice.message.text.find(noisy.message_id), std::string::npos);
  EXPECT_NE(notice.message.text.find("dropped from the queue by an operator"),
            std::string::npos)
      << notice.message.text;
  EXPECT_EQ(Stats().bounces, 1u);
}

TEST_F(DeliveryTest, ANoticeThatCannotBeStoredYetIsKeptAndStoredLaterOnce) {
  StartRelay();
  alpha_->StopMailstore();
  const ForeignMail mail =
      Enqueue("carol@beta.test", crypto::GenerateKeyPair().public_key,
              "bounces while our mailstore is away\n");
  EXPECT_EQ(Drain(), 1u);
  // Given up, the notice built and kept, waiting for the mailstore.
  absl::StatusOr<std::optional<QueuedMessage>> kept =
      relay_->relay().queue().Load(mail.message_id);
  ASSERT_TRUE(kept.ok() && kept->has_value());
  const std::string notice_id = (*kept)->notice_id;
  EXPECT_FALSE(notice_id.empty());
  EXPECT_NE((*kept)->info.bounce_reason.find("no such account"), std::string::npos);
  EXPECT_NE((*kept)->info.last_error.find("the failure notice could not be stored yet"),
            std::string::npos)
      << (*kept)->info.last_error;
  EXPECT_EQ((*kept)->info.next_attempt_ms, clock_.Now() + kMinute);

  ASSERT_TRUE(alpha_->StartMailstore()) << alpha_->error();
  clock_.Advance(kMinute);
  EXPECT_EQ(Drain(), 1u);
  EXPECT_FALSE(Queued(mail.message_id).has_value());
  absl::StatusOr<std::vector<std::string>> ids = alpha_->MailboxIds("alice");
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(*ids, std::vector<std::string>{notice_id});
  TheNoticeForAlice();
  // beta.test was asked once: giving up is not delivering again.
  const StatsSnapshot stats = Stats();
  EXPECT_EQ(stats.delivery_attempts, 1u);
  EXPECT_EQ(stats.bounces, 1u);
}

}  // namespace
}  // namespace cmtp::relay
