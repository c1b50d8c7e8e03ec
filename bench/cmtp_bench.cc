// cmtp-bench: load generator for a CMTP/1 gateway (docs/performance.md).
//
//   cmtp-bench mail       C connections send N sealed MAILs of S bytes
//   cmtp-bench keyrequest C connections ask N KEYREQUESTs for one local account
//   cmtp-bench idle       K idle connections held while one client times M NOOPs
//
// Prints a table and, as its last line, the same figures as one JSON object.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bench/bench_setup.h"
#include "bench/latency.h"
#include "bench/load_driver.h"
#include "bench/report.h"
#include "lib/client/endpoint.h"
#include "lib/client/mail_address.h"
#include "lib/client/session.h"
#include "lib/common/config.h"
#include "lib/common/errors.h"
#include "lib/common/mutex_deadlock_detection.h"
#include "lib/crypto/protocol_signatures.h"
#include "lib/crypto/sodium.h"
#include "lib/wire/command.h"
#include "lib/wire/serializer.h"

namespace cmtp::bench {
namespace {

constexpr char kProgram[] = "cmtp-bench";
constexpr std::string_view kMailHead{"MAIL\0", 5};
constexpr std::string_view kNoopRequest{"NOOP\0", 5};
// Descriptors beyond the connections: the binary, logs, epoll, timers.
constexpr size_t kSpareFiles = 64;
constexpr size_t kMiB = 1024 * 1024;
// What a message costs in memory beyond its body (header, envelope, parse).
constexpr size_t kPerMessageOverhead = 512;

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << kProgram << ": " << message << "\n";
  std::exit(1);
}

// A bad flag: exit 2, like every binary of the suite.
[[noreturn]] void Usage(const std::string& message) {
  std::cerr << kProgram << ": " << message << "\n(see --help)\n";
  std::exit(2);
}

void Check(const absl::Status& status, const std::string& what) {
  if (!status.ok()) Fail(absl::StrCat(what, ": ", status.message()));
}

// Resident memory of a process, from /proc/PID/status; nullopt without one.
std::optional<int64_t> RssKib(int64_t pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    int64_t kib = 0;
    std::string digits;
    for (char c : line) {
      if (c >= '0' && c <= '9') digits += c;
    }
    if (absl::SimpleAtoi(digits, &kib)) return kib;
  }
  return std::nullopt;
}

struct Options {
  std::string mode;
  client::Endpoint server;
  std::string domain;
  size_t connections = 0;
  size_t count = 0;
  size_t size = 0;
  double rate = 0;
  size_t warmup = 0;
  std::string to;
  std::string account;
  bool register_sender = true;
  std::string invite;
  size_t idle = 0;
  int64_t pid = 0;
  std::chrono::milliseconds duration{0};
  std::chrono::milliseconds io_timeout{0};
  std::chrono::milliseconds connect_timeout{0};
  size_t max_pending = 0;
  unsigned build_threads = 1;
  size_t max_prebuild_mib = 0;
  std::string label;
  std::optional<client::Endpoint> recipient_server;
  std::string recipient_domain;
  std::chrono::milliseconds delivery_timeout{0};
};

size_t NonNegative(const Config& config, const std::string& name) {
  const int64_t v = config.GetInt(name);
  if (v < 0) Usage(absl::StrCat("--", name, " must not be negative"));
  return static_cast<size_t>(v);
}

Options ParseOptions(int argc, char** argv) {
  Config config(kProgram,
                "Drives a CMTP/1 gateway with load and reports throughput and "
                "latency.\nModes (first argument): mail | keyrequest | idle.\n"
                "  mail:       --connections C send --count N sealed MAILs with "
                "--size S byte bodies\n"
                "              to a registered recipient; each connection waits "
                "for the signed\n"
                "              receipt before its next MAIL. --rate R paces the "
                "sends (open loop).\n"
                "  keyrequest: C connections send N KEYREQUESTs for one local "
                "account.\n"
                "  idle:       holds --idle K connections open after the banner "
                "and times --count M\n"
                "              NOOPs of one active client, before and while they "
                "are held;\n"
                "              --pid reports that process's resident memory.\n"
                "Output: a table, then one JSON line with the same figures.");
  config.Add("server", "", "127.0.0.1:9001", "gateway HOST:PORT");
  config.Add("domain", "", "localhost", "the domain the gateway serves");
  config.Add("connections", "", "20", "concurrent connections (mail, keyrequest)");
  config.Add("count", "", "10000",
             "requests to time: MAILs, KEYREQUESTs, or NOOPs (idle)");
  config.Add("size", "", "4096", "sealed body bytes per MAIL");
  config.Add("rate", "", "0",
             "total requests per second, paced (0: as fast as the replies come)");
  config.Add("warmup", "", "100", "untimed requests sent first");
  config.Add("to", "", "",
             "mail: existing recipient account@domain (its key by KEYREQUEST); "
             "empty: register a fresh one");
  config.Add(
      "account", "", "",
      "keyrequest: existing account@domain to ask for; empty: register a fresh one");
  config.Add(
      "register-sender", "", "true",
      "mail: register the sender too (else an unregistered name with a fresh key)");
  config.Add("invite", "", "",
             "invite token for REGISTER (servers with --registration invite)");
  config.Add("idle", "", "1000", "idle: connections to hold");
  config.Add("pid", "", "0", "report this process's VmRSS (the gateway's pid)");
  config.Add("duration-seconds", "", "60",
             "stop sending after this long, whatever --count says");
  config.Add("io-timeout-seconds", "", "30", "a reply must come within this long");
  config.Add("connect-timeout-seconds", "", "120",
             "opening all connections may take this long");
  config.Add("max-pending-connects", "", "256", "connects in progress at a time");
  config.Add("build-threads", "", "0",
             "threads sealing messages before the clock (0: all cores)");
  config.Add("max-prebuild-mib", "", "4096",
             "refuse runs whose pre-built messages would take more memory than this");
  config.Add("label", "", "", "free text copied into the JSON line");
  config.Add(
      "recipient-server", "", "",
      "mail across domains: register the recipient at this other suite's gateway "
      "(HOST:PORT), send through --server (authenticated as the sender, so its "
      "relay carries the mail) and time until every message is in the mailbox there");
  config.Add("recipient-domain", "", "", "the domain --recipient-server serves");
  config.Add("delivery-timeout-seconds", "", "300",
             "how long to wait for deliveries at --recipient-server");
  config.ParseOrExit(argc, argv);
  for (const char* name :
       {"connections", "count", "size", "warmup", "idle", "pid", "duration-seconds",
        "io-timeout-seconds", "connect-timeout-seconds", "max-pending-connects",
        "build-threads", "max-prebuild-mib", "delivery-timeout-seconds"}) {
    if (absl::Status s = config.ValidateInt(name); !s.ok())
      Usage(std::string(s.message()));
  }
  if (absl::Status s = config.ValidateBool("register-sender"); !s.ok()) {
    Usage(std::string(s.message()));
  }

  Options o;
  if (config.positional().size() != 1) {
    Usage("give exactly one mode: mail, keyrequest or idle (see --help)");
  }
  o.mode = config.positional()[0];
  if (o.mode != "mail" && o.mode != "keyrequest" && o.mode != "idle") {
    Usage(absl::StrCat("unknown mode \"", o.mode, "\": mail, keyrequest or idle"));
  }
  absl::StatusOr<client::Endpoint> server = client::ParseEndpoint(config.Get("server"));
  if (!server.ok()) Usage(absl::StrCat("--server: ", server.status().message()));
  o.server = *server;
  o.domain = config.Get("domain");
  o.connections = NonNegative(config, "connections");
  o.count = NonNegative(config, "count");
  o.size = NonNegative(config, "size");
  if (!absl::SimpleAtod(config.Get("rate"), &o.rate) || o.rate < 0) {
    Usage(absl::StrCat("--rate must be a non-negative number, got \"", config.Get("rate"),
                       "\""));
  }
  o.warmup = NonNegative(config, "warmup");
  o.to = config.Get("to");
  o.account = config.Get("account");
  o.register_sender = config.GetBool("register-sender");
  o.invite = config.Get("invite");
  o.idle = NonNegative(config, "idle");
  o.pid = config.GetInt("pid");
  o.duration = std::chrono::seconds(NonNegative(config, "duration-seconds"));
  o.io_timeout = std::chrono::seconds(NonNegative(config, "io-timeout-seconds"));
  o.connect_timeout =
      std::chrono::seconds(NonNegative(config, "connect-timeout-seconds"));
  o.max_pending = NonNegative(config, "max-pending-connects");
  o.build_threads = static_cast<unsigned>(NonNegative(config, "build-threads"));
  if (o.build_threads == 0)
    o.build_threads = std::max(1u, std::thread::hardware_concurrency());
  o.max_prebuild_mib = NonNegative(config, "max-prebuild-mib");
  o.label = config.Get("label");
  if (!config.Get("recipient-server").empty()) {
    absl::StatusOr<client::Endpoint> other =
        client::ParseEndpoint(config.Get("recipient-server"));
    if (!other.ok())
      Usage(absl::StrCat("--recipient-server: ", other.status().message()));
    o.recipient_server = *other;
    o.recipient_domain = config.Get("recipient-domain");
    if (o.recipient_domain.empty()) Usage("--recipient-server needs --recipient-domain");
    if (o.recipient_domain == o.domain) {
      Usage("--recipient-domain must differ from --domain (the sending server's)");
    }
    if (!o.to.empty()) Usage("give --to or --recipient-server, not both");
  }
  o.delivery_timeout =
      std::chrono::seconds(NonNegative(config, "delivery-timeout-seconds"));
  if (o.connections == 0) Usage("--connections must be at least 1");
  if (o.count == 0) Usage("--count must be at least 1");
  if (o.duration.count() == 0) Usage("--duration-seconds must be at least 1");
  if (o.io_timeout.count() == 0) Usage("--io-timeout-seconds must be at least 1");
  return o;
}

void Progress(const std::string& line) { std::cerr << kProgram << ": " << line << "\n"; }

void AddCommon(Report& report, const Options& o) {
  report.AddText("bench", "cmtp");
  report.AddText("mode", o.mode);
  if (!o.label.empty()) report.AddText("label", o.label);
  report.AddText("server", o.server.ToString());
}

void AddRun(Report& report, const RunResult& run, size_t failures, double per_second) {
  report.AddInt("sent", static_cast<int64_t>(run.sent));
  report.AddInt("ok", static_cast<int64_t>(run.accepted));
  report.AddInt("failures", static_cast<int64_t>(failures));
  report.AddNumber("seconds", run.seconds);
  report.AddNumber("per_second", per_second);
  if (run.duration_cap_hit) report.AddText("note", "stopped by --duration-seconds");
}

void Print(const Report& report) {
  std::cout << report.Table() << report.Json() << "\n";
  std::cout.flush();
}

std::unique_ptr<LoadDriver> OpenDriver(const Options& o, size_t active) {
  absl::StatusOr<Target> target = ResolveTarget(o.server);
  Check(target.status(), "--server");
  auto driver = std::make_unique<LoadDriver>(*target, wire::Limits{});
  Check(driver->OpenActive(active, o.max_pending, o.connect_timeout), "connect");
  return driver;
}

RunPlan PlanFor(const Options& o, size_t jobs, double rate) {
  RunPlan plan;
  plan.jobs = jobs;
  plan.rate = rate;
  plan.max_duration = o.duration;
  plan.io_timeout = o.io_timeout;
  return plan;
}

// --- mail -----------------------------------------------------------------

class MailWorkload : public Workload {
 public:
  MailWorkload(const std::vector<PreparedMail>& mails, size_t first, size_t count)
      : mails_(mails), first_(first), statuses_(count), replied_(count, false) {}

  Request RequestFor(size_t job) override {
    return {kMailHead, mails_[first_ + job].message.bytes, wire::ReplyKind::kStatus};
  }
  bool Accept(size_t job, wire::Reply reply) override {
    if (!reply.has_status) {
      Remember("the reply to MAIL is not a status reply");
      return false;
    }
    replied_[job] = true;
    statuses_[job] = std::move(reply.status);
    const wire::Status& status = statuses_[job];
    if (!status.success) {
      Remember(absl::StrCat("FAILURE: ", status.detail));
      return false;
    }
    if (status.detail != mails_[first_ + job].id) {
      Remember(absl::StrCat("the receipt names ", status.detail, ", not ",
                            mails_[first_ + job].id));
      return false;
    }
    return true;
  }

  // After the clock: every SUCCESS must be signed by the server over exactly
  // the message sent. Returns how many are not.
  size_t CountBadReceipts(const std::string& server_key) {
    size_t bad = 0;
    for (size_t job = 0; job < statuses_.size(); ++job) {
      const wire::Status& status = statuses_[job];
      if (!replied_[job] || !status.success) continue;
      if (!crypto::VerifyStatus(server_key, status, mails_[first_ + job].message.bytes)) {
        ++bad;
        Remember("a SUCCESS receipt does not verify with the server key");
      }
    }
    return bad;
  }
  const std::string& first_problem() const { return first_problem_; }

 private:
  void Remember(const std::string& problem) {
    if (first_problem_.empty()) first_problem_ = problem;
  }
  const std::vector<PreparedMail>& mails_;
  size_t first_;
  std::vector<wire::Status> statuses_;
  std::vector<bool> replied_;
  std::string first_problem_;
};

// CHALLENGE + AUTH as the sender on one connection: what a server asks
// before it relays mail to another domain.
absl::Status AuthenticateSender(const LoadDriver::Exchange& exchange,
                                const Accounts& accounts) {
  wire::Command challenge;
  challenge.kind = wire::CommandKind::kChallenge;
  absl::StatusOr<wire::Reply> nonce =
      exchange(wire::SerializeCommand(challenge), wire::ReplyKind::kChallenge);
  if (!nonce.ok()) return nonce.status();
  if (nonce->has_status || nonce->challenge.size() != crypto::kChallengeSize) {
    return error::Unavailable(absl::StrCat("CHALLENGE refused: ", nonce->status.detail));
  }
  wire::Command auth;
  auth.kind = wire::CommandKind::kAuth;
  auth.account = accounts.sender.account;
  auth.signature = crypto::Sign(
      accounts.sender_identity.secret_key.view(),
      crypto::AuthSignedBytes(accounts.sender.account, accounts.sender.domain,
                              nonce->challenge, accounts.server_key));
  const std::string request = wire::SerializeCommand(auth);
  absl::StatusOr<wire::Reply> reply = exchange(request, wire::ReplyKind::kStatus);
  if (!reply.ok()) return reply.status();
  if (!reply->has_status || !reply->status.success) {
    return error::PermissionDenied(absl::StrCat("AUTH as ", accounts.sender.ToString(),
                                                " refused: ", reply->status.detail));
  }
  if (!crypto::VerifyStatus(accounts.server_key, reply->status, request)) {
    return error::CryptoFailure("the AUTH receipt is not signed by the server");
  }
  return absl::OkStatus();
}

// Logs in at the recipient's server as the recipient and waits until its
// mailbox holds `expected` messages. Returns when the last one was seen.
absl::StatusOr<Clock::time_point> WaitForDeliveries(const client::Endpoint& server,
                                                    const Accounts& accounts,
                                                    size_t expected,
                                                    std::chrono::milliseconds timeout) {
  constexpr std::chrono::milliseconds kPoll{100};
  const Clock::time_point deadline = Clock::now() + timeout;
  absl::StatusOr<client::Session> session = client::Session::Connect(server);
  if (!session.ok()) return session.status();
  if (absl::Status s =
          session->Authenticate(accounts.recipient, *accounts.recipient_identity);
      !s.ok()) {
    return s;
  }
  size_t seen = 0;
  while (true) {
    absl::StatusOr<std::vector<wire::ListEntry>> list = session->List();
    if (!list.ok()) return list.status();
    seen = list->size();
    if (seen >= expected) return Clock::now();
    if (Clock::now() >= deadline) {
      return error::Unavailable(absl::StrCat(
          seen, " of ", expected, " messages delivered to ",
          accounts.recipient.ToString(), " within ",
          std::chrono::duration_cast<std::chrono::seconds>(timeout).count(), " s"));
    }
    std::this_thread::sleep_for(kPoll);
  }
}

int RunMail(const Options& o) {
  Check(RaiseFileLimit(o.connections + kSpareFiles), "file limit");
  const size_t total = o.warmup + o.count;
  const size_t memory_mib = total * (o.size + kPerMessageOverhead) / kMiB;
  if (memory_mib > o.max_prebuild_mib) {
    Fail(absl::StrCat(total, " messages of ", o.size, " bytes need about ", memory_mib,
                      " MiB pre-built, over --max-prebuild-mib ", o.max_prebuild_mib,
                      "; lower --count or raise the cap"));
  }
  SetupOptions setup;
  setup.server = o.server;
  setup.domain = o.domain;
  setup.to = o.to;
  setup.register_sender = o.register_sender;
  setup.invite_token = o.invite;
  setup.recipient_server = o.recipient_server;
  setup.recipient_domain = o.recipient_domain;
  if (o.recipient_server.has_value() && !o.register_sender) {
    Fail("mail to another domain needs a registered sender (--register-sender)");
  }
  absl::StatusOr<Accounts> accounts = PrepareAccounts(setup);
  Check(accounts.status(), "setting up accounts");
  // Mail for another domain is relayed only for its authenticated sender.
  const bool foreign = accounts->recipient.domain != o.domain;
  Progress(absl::StrCat("sender ", accounts->sender.ToString(), ", recipient ",
                        accounts->recipient.ToString(), "; sealing ", total,
                        " messages on ", o.build_threads, " threads"));
  absl::StatusOr<std::vector<PreparedMail>> mails =
      BuildMails(*accounts, total, o.size, o.build_threads);
  Check(mails.status(), "building messages");
  const size_t body_size = (*mails)[0].message.header.body_len;
  const size_t message_size = (*mails)[0].message.bytes.size() + kMailHead.size();

  const std::unique_ptr<LoadDriver> owned_driver = OpenDriver(o, o.connections);
  LoadDriver& driver = *owned_driver;
  if (foreign) {
    Check(driver.ForEachActive(
              [&](const LoadDriver::Exchange& exchange) {
                return AuthenticateSender(exchange, *accounts);
              },
              o.io_timeout),
          "authenticating the sender");
  }
  const std::optional<int64_t> rss_before = RssKib(o.pid);
  if (o.warmup > 0) {
    MailWorkload warmup(*mails, 0, o.warmup);
    const RunResult run = driver.Run(warmup, PlanFor(o, o.warmup, 0));
    if (run.accepted != o.warmup) {
      Fail(absl::StrCat("warm-up: ", run.accepted, " of ", o.warmup, " MAILs accepted; ",
                        warmup.first_problem(), run.first_error));
    }
    if (o.recipient_server.has_value()) {
      // The relay's queue starts the timed run empty.
      Check(
          WaitForDeliveries(*o.recipient_server, *accounts, o.warmup, o.delivery_timeout)
              .status(),
          "warm-up deliveries");
    }
  }
  Progress(absl::StrCat("timing ", o.count, " MAILs over ", driver.active_count(),
                        " connections",
                        o.rate > 0 ? absl::StrCat(" at ", o.rate, "/s") : ""));
  MailWorkload workload(*mails, o.warmup, o.count);
  const Clock::time_point run_start = Clock::now();
  RunResult run = driver.Run(workload, PlanFor(o, o.count, o.rate));
  const std::optional<int64_t> rss_after = RssKib(o.pid);
  std::optional<double> delivery_seconds;
  std::string delivery_problem;
  if (o.recipient_server.has_value()) {
    Progress(absl::StrCat("waiting for ", run.accepted, " deliveries at ",
                          o.recipient_server->ToString()));
    absl::StatusOr<Clock::time_point> delivered = WaitForDeliveries(
        *o.recipient_server, *accounts, o.warmup + run.accepted, o.delivery_timeout);
    if (delivered.ok()) {
      delivery_seconds = std::chrono::duration<double>(*delivered - run_start).count();
    } else {
      delivery_problem = std::string(delivered.status().message());
    }
  }
  const size_t bad_receipts = workload.CountBadReceipts(accounts->server_key);
  const size_t ok = run.accepted - bad_receipts;
  const size_t failures = run.refused + run.errors + bad_receipts + (o.count - run.sent);
  const double per_second = run.seconds > 0 ? static_cast<double>(ok) / run.seconds : 0;

  Report report;
  AddCommon(report, o);
  report.AddInt("connections", static_cast<int64_t>(o.connections));
  report.AddInt("count", static_cast<int64_t>(o.count));
  report.AddInt("body_bytes", static_cast<int64_t>(body_size));
  report.AddInt("request_bytes", static_cast<int64_t>(message_size));
  report.AddNumber("target_rate", o.rate);
  run.accepted = ok;
  AddRun(report, run, failures, per_second);
  report.AddNumber("body_mib_per_s", per_second * static_cast<double>(body_size) / kMiB);
  report.AddNumber("wire_mib_per_s",
                   per_second * static_cast<double>(message_size) / kMiB);
  report.AddLatency("", Summarize(run.latencies_ns));
  if (foreign) report.AddText("recipient", accounts->recipient.ToString());
  if (delivery_seconds.has_value()) {
    report.AddNumber("delivery_seconds", *delivery_seconds);
    report.AddNumber("delivered_per_second",
                     static_cast<double>(run.accepted) / *delivery_seconds);
  }
  if (rss_before) report.AddInt("rss_kib_before", *rss_before);
  if (rss_after) report.AddInt("rss_kib_after", *rss_after);
  std::string problem =
      !workload.first_problem().empty() ? workload.first_problem() : run.first_error;
  if (problem.empty()) problem = delivery_problem;
  if (!problem.empty()) report.AddText("first_failure", problem);
  Print(report);
  return failures == 0 && delivery_problem.empty() ? 0 : 1;
}

// --- keyrequest -------------------------------------------------------------

class KeyRequestWorkload : public Workload {
 public:
  KeyRequestWorkload(std::string request, std::string expected_key)
      : request_(std::move(request)), expected_key_(std::move(expected_key)) {}

  Request RequestFor(size_t) override {
    return {request_, {}, wire::ReplyKind::kKeyBlock};
  }
  bool Accept(size_t, wire::Reply reply) override {
    if (reply.has_status) {
      Remember(absl::StrCat(reply.status.success ? "SUCCESS" : "FAILURE", ": ",
                            reply.status.detail));
      return false;
    }
    if (!reply.key_available || reply.public_key != expected_key_) {
      Remember(reply.key_available ? "a different key came back" : "key not available");
      return false;
    }
    signatures_.insert(std::move(reply.signature));
    return true;
  }
  // Ed25519 signatures are deterministic, so all replies should carry one
  // signature; each distinct one is checked once, after the clock.
  bool SignaturesVerify(const std::string& server_key) {
    for (const std::string& signature : signatures_) {
      if (!crypto::Verify(server_key, expected_key_, signature)) {
        Remember("a key block is not signed by the server");
        return false;
      }
    }
    return true;
  }
  const std::string& first_problem() const { return first_problem_; }

 private:
  void Remember(const std::string& problem) {
    if (first_problem_.empty()) first_problem_ = problem;
  }
  std::string request_;
  std::string expected_key_;
  std::set<std::string> signatures_;
  std::string first_problem_;
};

int RunKeyRequest(const Options& o) {
  Check(RaiseFileLimit(o.connections + kSpareFiles), "file limit");
  SetupOptions setup;
  setup.server = o.server;
  setup.domain = o.domain;
  setup.to = o.account;
  setup.register_sender = false;
  setup.invite_token = o.invite;
  absl::StatusOr<Accounts> accounts = PrepareAccounts(setup);
  Check(accounts.status(), "setting up the account");
  wire::Command command;
  command.kind = wire::CommandKind::kKeyRequest;
  command.account = accounts->recipient.account;
  command.domain = accounts->recipient.domain;
  KeyRequestWorkload workload(wire::SerializeCommand(command), accounts->recipient_key);

  const std::unique_ptr<LoadDriver> owned_driver = OpenDriver(o, o.connections);
  LoadDriver& driver = *owned_driver;
  if (o.warmup > 0) driver.Run(workload, PlanFor(o, o.warmup, 0));
  Progress(absl::StrCat("timing ", o.count, " KEYREQUESTs for ",
                        accounts->recipient.ToString(), " over ", driver.active_count(),
                        " connections"));
  RunResult run = driver.Run(workload, PlanFor(o, o.count, o.rate));
  size_t bad = workload.SignaturesVerify(accounts->server_key) ? 0 : run.accepted;
  const size_t ok = run.accepted - bad;
  const size_t failures = run.refused + run.errors + bad + (o.count - run.sent);
  const double per_second = run.seconds > 0 ? static_cast<double>(ok) / run.seconds : 0;

  Report report;
  AddCommon(report, o);
  report.AddInt("connections", static_cast<int64_t>(o.connections));
  report.AddInt("count", static_cast<int64_t>(o.count));
  report.AddNumber("target_rate", o.rate);
  run.accepted = ok;
  AddRun(report, run, failures, per_second);
  report.AddLatency("", Summarize(run.latencies_ns));
  const std::string problem =
      !workload.first_problem().empty() ? workload.first_problem() : run.first_error;
  if (!problem.empty()) report.AddText("first_failure", problem);
  Print(report);
  return failures == 0 ? 0 : 1;
}

// --- idle -------------------------------------------------------------------

class NoopWorkload : public Workload {
 public:
  Request RequestFor(size_t) override {
    return {kNoopRequest, {}, wire::ReplyKind::kText};
  }
  bool Accept(size_t, wire::Reply reply) override {
    return !reply.has_status && reply.text == wire::kNoopReply;
  }
};

int RunIdle(const Options& o) {
  Check(RaiseFileLimit(o.idle + 1 + kSpareFiles), "file limit");
  const std::unique_ptr<LoadDriver> owned_driver = OpenDriver(o, 1);
  LoadDriver& driver = *owned_driver;
  NoopWorkload noop;
  if (o.warmup > 0) driver.Run(noop, PlanFor(o, o.warmup, 0));
  const std::optional<int64_t> rss_before = RssKib(o.pid);
  RunResult alone = driver.Run(noop, PlanFor(o, o.count, o.rate));
  const LatencySummary alone_latency = Summarize(alone.latencies_ns);

  Progress(absl::StrCat("opening ", o.idle, " idle connections"));
  const Clock::time_point open_start = Clock::now();
  Check(driver.OpenIdle(o.idle, o.max_pending, o.connect_timeout), "idle connections");
  const double open_seconds =
      std::chrono::duration<double>(Clock::now() - open_start).count();
  const std::optional<int64_t> rss_idle = RssKib(o.pid);
  Progress(absl::StrCat("timing ", o.count, " NOOPs with ", driver.idle_alive(),
                        " idle connections held"));
  RunResult held = driver.Run(noop, PlanFor(o, o.count, o.rate));
  const std::optional<int64_t> rss_after = RssKib(o.pid);
  const size_t failures = alone.refused + alone.errors + (o.count - alone.sent) +
                          held.refused + held.errors + (o.count - held.sent);

  Report report;
  AddCommon(report, o);
  report.AddInt("idle_requested", static_cast<int64_t>(o.idle));
  report.AddInt("idle_open", static_cast<int64_t>(driver.idle_alive()));
  report.AddInt("idle_dropped", static_cast<int64_t>(driver.idle_dropped()));
  report.AddNumber("idle_open_seconds", open_seconds);
  report.AddInt("count", static_cast<int64_t>(o.count));
  report.AddInt("failures", static_cast<int64_t>(failures));
  report.AddNumber("per_second", held.seconds > 0
                                     ? static_cast<double>(held.accepted) / held.seconds
                                     : 0);
  report.AddLatency("alone_", alone_latency);
  report.AddLatency("", Summarize(held.latencies_ns));
  if (rss_before) report.AddInt("rss_kib_before", *rss_before);
  if (rss_idle) report.AddInt("rss_kib_idle", *rss_idle);
  if (rss_after) report.AddInt("rss_kib_after", *rss_after);
  if (rss_before && rss_idle && o.idle > 0) {
    report.AddNumber("rss_bytes_per_idle_conn",
                     static_cast<double>(*rss_idle - *rss_before) * 1024.0 /
                         static_cast<double>(o.idle));
  }
  const std::string problem =
      !held.first_error.empty() ? held.first_error : alone.first_error;
  if (!problem.empty()) report.AddText("first_failure", problem);
  Print(report);
  return failures == 0 && driver.idle_dropped() == 0 ? 0 : 1;
}

}  // namespace
}  // namespace cmtp::bench

int main(int argc, char** argv) {
  // gRPC locks absl::Mutex many times per call; Debian's Abseil checks lock order.
  cmtp::TurnOffMutexDeadlockDetection();
  cmtp::crypto::EnsureSodium();
  const cmtp::bench::Options options = cmtp::bench::ParseOptions(argc, argv);
  if (options.mode == "mail") return cmtp::bench::RunMail(options);
  if (options.mode == "keyrequest") return cmtp::bench::RunKeyRequest(options);
  return cmtp::bench::RunIdle(options);
}
