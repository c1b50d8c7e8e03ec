// ConnectionPool: blocking hiredis connections handed out one call at a time.
//
// Re-send policy (see Retry in client.h): a connection taken from the free
// list is first checked for a close by Redis (a non-blocking peek), which
// catches the common case of a Redis restart before anything is sent. If the
// connection still breaks during a call, the call is sent once more on a new
// connection only when that is harmless: known read-only commands, or
// commands the caller marked Retry::kSafe. A timeout is never re-sent (Redis
// may still be executing the command, and waiting twice helps nobody).
//
// Sentinel mode (PoolOptions::sentinels): a new connection is made by asking
// the sentinels for the master and checking ROLE on the server they name, so
// after a failover the connections made anew reach the new master. The old
// ones go away by themselves: a killed master closed them (seen by the peek),
// Sentinel's reconfiguration of a demoted master kills its clients, and a
// READONLY, LOADING or MASTERDOWN reply drops the connection and the idle ones
// (and re-sends the call once when nothing of it ran).
#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <span>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/redis/client.h"
#include "lib/redis/error_reply.h"
#include "lib/redis/read_only_commands.h"

namespace cmtp::redis {
namespace {

struct ContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

using CommandList = std::span<const std::vector<std::string_view>>;

timeval ToTimeval(std::chrono::milliseconds duration) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(duration.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((duration.count() % 1000) * 1000);
  return tv;
}

// hiredis writes with write(2): a write to a Redis that closed the connection
// must become an error return, not a SIGPIPE that kills the service. A
// handler someone installed on purpose is left alone.
void IgnoreSigpipeUnlessHandled() {
  struct sigaction current {};
  if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    signal(SIGPIPE, SIG_IGN);
  }
}

// True when Redis has not closed the socket and sent nothing unasked for.
bool LooksAlive(const redisContext& context) {
  if (context.err != 0) return false;
  char byte = 0;
  ssize_t n = recv(context.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
  return false;  // 0: closed by Redis; > 0: stray bytes, the stream is out of step
}

absl::StatusOr<Reply> ConvertReply(const redisReply& raw) {
  Reply reply;
  switch (raw.type) {
    case REDIS_REPLY_STRING:
      reply.type = Reply::Type::kString;
      reply.str.assign(raw.str, raw.len);
      return reply;
    case REDIS_REPLY_STATUS:
      reply.type = Reply::Type::kStatus;
      reply.str.assign(raw.str, raw.len);
      return reply;
    case REDIS_REPLY_INTEGER:
      reply.type = Reply::Type::kInteger;
      reply.integer = raw.integer;
      return reply;
    case REDIS_REPLY_NIL:
      return reply;
    case REDIS_REPLY_ARRAY:
      reply.type = Reply::Type::kArray;
      reply.elements.reserve(raw.elements);
      for (size_t i = 0; i < raw.elements; ++i) {
        absl::StatusOr<Reply> element = ConvertReply(*raw.element[i]);
        if (!element.ok()) return element.status();
        reply.elements.push_back(*std::move(element));
      }
      return reply;
    case REDIS_REPLY_ERROR:
      return ErrorReplyStatus(std::string_view(raw.str, raw.len));
    default:
      return error::Internal(absl::StrCat("redis: unexpected reply type ", raw.type));
  }
}

// The outcome of sending commands on one connection.
struct Exchange {
  // The replies, the first error reply, or Unavailable when the connection broke.
  absl::StatusOr<std::vector<Reply>> replies;
  bool connection_broken = false;
  bool timed_out = false;
  // Some reply said the server is not a usable master (IsNotMasterError).
  bool not_master = false;
  // Some reply was not an error (so something may have run).
  bool any_success = false;
};

// "host:port" of a connection, for messages.
std::string Peer(const redisContext& context) {
  return absl::StrCat(context.tcp.host != nullptr ? context.tcp.host : "?", ":",
                      context.tcp.port);
}

}  // namespace

std::string DescribeTarget(const PoolOptions& options) {
  if (options.sentinels.empty()) return absl::StrCat("redis at ", options.address);
  return absl::StrCat("redis master \"", options.master_name, "\" via sentinels ",
                      absl::StrJoin(options.sentinels, ","));
}

class ConnectionPool::Impl {
 public:
  using HostPort = std::pair<std::string, int>;

  // `servers`: the Redis address, or the sentinels in Sentinel mode.
  Impl(PoolOptions options, std::vector<HostPort> servers)
      : options_(std::move(options)),
        servers_(std::move(servers)),
        target_(DescribeTarget(options_)) {}

  absl::StatusOr<std::vector<Reply>> Execute(CommandList commands, Retry retry) {
    for (const auto& argv : commands) {
      if (argv.empty()) return error::InvalidInput("redis: empty command");
    }
    if (commands.empty()) return std::vector<Reply>();
    bool may_resend = MayResend(commands, retry);
    for (int attempt = 0;; ++attempt) {
      absl::StatusOr<ContextPtr> context = Acquire();
      if (!context.ok()) return context.status();
      Exchange exchange = RunOn(**context, commands);
      if (exchange.not_master) {
        // A failover demoted this server, or it is still loading: the idle
        // connections most likely point at it too. Nothing ran when every
        // reply was an error, so the commands go once more to a new
        // connection, which in Sentinel mode asks for the master again.
        context->reset();
        Release(nullptr);
        DropIdle();
        bool resend = attempt == 0 && sentinel_mode() && !exchange.any_success;
        if (!resend) return std::move(exchange.replies);
        continue;
      }
      if (!exchange.connection_broken) {
        Release(*std::move(context));
        return std::move(exchange.replies);
      }
      context->reset();
      Release(nullptr);
      bool resend = attempt == 0 && may_resend && !exchange.timed_out;
      if (!resend) return std::move(exchange.replies);
    }
  }

 private:
  bool sentinel_mode() const { return !options_.sentinels.empty(); }

  static bool MayResend(CommandList commands, Retry retry) {
    switch (retry) {
      case Retry::kSafe:
        return true;
      case Retry::kNever:
        return false;
      case Retry::kIfReadOnly:
        for (const auto& argv : commands) {
          if (!IsReadOnlyCommand(argv)) return false;
        }
        return true;
    }
    std::fprintf(stderr, "redis: unknown Retry value %d\n", static_cast<int>(retry));
    std::abort();
  }

  // Takes a free connection, or a free slot (connecting lazily), waiting up to
  // the command timeout when all `size` are in use.
  absl::StatusOr<ContextPtr> Acquire() {
    ContextPtr context;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      bool got_one = available_.wait_for(lock, options_.command_timeout, [&] {
        return !idle_.empty() || in_use_ + static_cast<int>(idle_.size()) < options_.size;
      });
      if (!got_one) {
        return error::Unavailable(absl::StrCat(target_, ": all ", options_.size,
                                               " connections stayed busy for ",
                                               options_.command_timeout.count(), " ms"));
      }
      ++in_use_;
      if (!idle_.empty()) {
        context = std::move(idle_.back());  // most recently used: least likely timed out
        idle_.pop_back();
      }
    }
    if (context != nullptr && LooksAlive(*context)) return context;
    context.reset();
    absl::StatusOr<ContextPtr> fresh =
        sentinel_mode() ? ConnectToMaster()
                        : ConnectTo(servers_.front(), options_.command_timeout, true);
    if (!fresh.ok()) {
      Release(nullptr);
      return fresh.status();
    }
    return fresh;
  }

  // Gives the slot back; `context` is null when the connection was dropped.
  void Release(ContextPtr context) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --in_use_;
      if (context != nullptr) idle_.push_back(std::move(context));
    }
    available_.notify_one();
  }

  // Closes every idle connection (connections in use are dropped by their
  // own calls if they fail too).
  void DropIdle() {
    std::vector<ContextPtr> dropped;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      dropped.swap(idle_);
    }
    available_.notify_all();
  }

  // A connection to `server` whose replies may take `reply_timeout`; AUTH is
  // sent with the configured password when `authenticate`.
  absl::StatusOr<ContextPtr> ConnectTo(const HostPort& server,
                                       std::chrono::milliseconds reply_timeout,
                                       bool authenticate) const {
    std::string where = absl::StrCat(server.first, ":", server.second);
    redisContext* raw = redisConnectWithTimeout(server.first.c_str(), server.second,
                                                ToTimeval(options_.connect_timeout));
    if (raw == nullptr) {
      return error::Unavailable(
          absl::StrCat("redis at ", where, ": cannot allocate a connection"));
    }
    ContextPtr context(raw);
    if (context->err != 0) {
      return error::Unavailable(
          absl::StrCat("redis at ", where, " unreachable: ", context->errstr));
    }
    if (redisSetTimeout(context.get(), ToTimeval(reply_timeout)) != REDIS_OK) {
      return error::Unavailable(
          absl::StrCat("redis at ", where, ": cannot set timeouts: ", context->errstr));
    }
    // Keepalive lets a connection idle behind a dead peer be noticed.
    redisEnableKeepAlive(context.get());
    if (authenticate && !options_.password.empty()) {
      std::vector<std::string_view> auth = {"AUTH", options_.password};
      Exchange exchange = RunOn(*context, CommandList(&auth, 1), reply_timeout);
      if (!exchange.replies.ok()) return exchange.replies.status();
    }
    return context;
  }

  // Sentinel mode: asks each sentinel in turn, starting with the one that
  // answered last time, for the master's address, and returns a connection to
  // the first address whose server says it is the master. One round over the
  // sentinels at most; an address already found wanting is not tried twice.
  absl::StatusOr<ContextPtr> ConnectToMaster() {
    size_t first;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      first = preferred_sentinel_;
    }
    std::vector<std::string> problems;
    std::vector<HostPort> tried;
    for (size_t i = 0; i < servers_.size(); ++i) {
      size_t index = (first + i) % servers_.size();
      const HostPort& sentinel = servers_[index];
      std::string sentinel_name = absl::StrCat(sentinel.first, ":", sentinel.second);
      absl::StatusOr<HostPort> master = AskSentinel(sentinel);
      if (!master.ok()) {
        problems.push_back(
            absl::StrCat("sentinel ", sentinel_name, ": ", master.status().message()));
        continue;
      }
      std::string master_name = absl::StrCat(master->first, ":", master->second);
      if (std::find(tried.begin(), tried.end(), *master) != tried.end()) {
        problems.push_back(
            absl::StrCat("sentinel ", sentinel_name, " names ", master_name, " too"));
        continue;
      }
      tried.push_back(*master);
      absl::StatusOr<ContextPtr> context =
          ConnectTo(*master, options_.command_timeout, true);
      absl::Status is_master =
          context.ok() ? CheckRoleIsMaster(**context) : context.status();
      if (is_master.ok()) {
        std::lock_guard<std::mutex> lock(mutex_);
        preferred_sentinel_ = index;
        return context;
      }
      problems.push_back(absl::StrCat("sentinel ", sentinel_name, " names ", master_name,
                                      ": ", is_master.message()));
    }
    return error::Unavailable(absl::StrCat(
        target_,
        ": no master found (failover in progress?): ", absl::StrJoin(problems, "; ")));
  }

  // SENTINEL get-master-addr-by-name on a short-lived connection.
  absl::StatusOr<HostPort> AskSentinel(const HostPort& sentinel) const {
    absl::StatusOr<ContextPtr> context =
        ConnectTo(sentinel, options_.connect_timeout, false);
    if (!context.ok()) return context.status();
    std::vector<std::string_view> ask = {"SENTINEL", "get-master-addr-by-name",
                                         options_.master_name};
    Exchange exchange = RunOn(**context, CommandList(&ask, 1), options_.connect_timeout);
    if (!exchange.replies.ok()) return exchange.replies.status();
    const Reply& reply = exchange.replies->front();
    if (reply.is_nil()) {
      return error::Unavailable(
          absl::StrCat("does not know a master called \"", options_.master_name, "\""));
    }
    int port = 0;
    if (reply.type != Reply::Type::kArray || reply.elements.size() != 2 ||
        reply.elements[0].type != Reply::Type::kString ||
        reply.elements[1].type != Reply::Type::kString ||
        !absl::SimpleAtoi(reply.elements[1].str, &port) || port <= 0 || port > 65535) {
      return error::Unavailable("answered get-master-addr-by-name with no address");
    }
    return HostPort(reply.elements[0].str, port);
  }

  // OK when ROLE answers "master"; a replica, a sentinel or an error is not.
  absl::Status CheckRoleIsMaster(redisContext& context) const {
    std::vector<std::string_view> role = {"ROLE"};
    Exchange exchange = RunOn(context, CommandList(&role, 1));
    if (!exchange.replies.ok()) return exchange.replies.status();
    const Reply& reply = exchange.replies->front();
    if (reply.type != Reply::Type::kArray || reply.elements.empty()) {
      return error::Unavailable("unexpected reply to ROLE");
    }
    const std::string& name = reply.elements[0].str;
    if (name == "master") return absl::OkStatus();
    return error::Unavailable(absl::StrCat("its ROLE is ", name, ", not master"));
  }

  // `reply_timeout` is the timeout the connection was set up with.
  Exchange Broken(const redisContext& context, int saved_errno,
                  std::chrono::milliseconds reply_timeout) const {
    Exchange exchange;
    exchange.connection_broken = true;
    exchange.timed_out = context.err == REDIS_ERR_IO &&
                         (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK);
    if (exchange.timed_out) {
      exchange.replies = error::Unavailable(absl::StrCat("redis at ", Peer(context),
                                                         ": no reply within ",
                                                         reply_timeout.count(), " ms"));
    } else {
      exchange.replies = error::Unavailable(absl::StrCat(
          "redis at ", Peer(context),
          ": connection lost: ", context.err != 0 ? context.errstr : "unknown error"));
    }
    return exchange;
  }

  // Appends every command, then reads every reply (so the connection stays in
  // step even when one of them is an error reply). The argument bytes go to
  // hiredis by pointer and length: no copy of a large value is made here.
  Exchange RunOn(redisContext& context, CommandList commands,
                 std::optional<std::chrono::milliseconds> reply_timeout = {}) const {
    std::chrono::milliseconds timeout = reply_timeout.value_or(options_.command_timeout);
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const auto& command : commands) {
      argv.clear();
      lengths.clear();
      for (std::string_view part : command) {
        argv.push_back(part.data() != nullptr ? part.data() : "");
        lengths.push_back(part.size());
      }
      if (redisAppendCommandArgv(&context, static_cast<int>(argv.size()), argv.data(),
                                 lengths.data()) != REDIS_OK) {
        return Broken(context, errno, timeout);
      }
    }
    std::vector<Reply> replies;
    replies.reserve(commands.size());
    absl::Status first_error;
    bool not_master = false;
    bool any_success = false;
    for (size_t i = 0; i < commands.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(&context, &raw) != REDIS_OK || raw == nullptr) {
        return Broken(context, errno, timeout);
      }
      ReplyPtr reply(static_cast<redisReply*>(raw));
      absl::StatusOr<Reply> converted = ConvertReply(*reply);
      if (converted.ok()) {
        any_success = true;
        replies.push_back(*std::move(converted));
      } else {
        not_master = not_master || IsNotMasterError(converted.status());
        if (first_error.ok()) first_error = converted.status();
        replies.emplace_back();
      }
    }
    Exchange exchange;
    exchange.not_master = not_master;
    exchange.any_success = any_success;
    if (first_error.ok()) {
      exchange.replies = std::move(replies);
    } else {
      exchange.replies = first_error;
    }
    return exchange;
  }

  const PoolOptions options_;
  const std::vector<HostPort> servers_;
  const std::string target_;

  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<ContextPtr> idle_;   // guarded by mutex_
  int in_use_ = 0;                 // guarded by mutex_
  size_t preferred_sentinel_ = 0;  // guarded by mutex_
};

absl::StatusOr<std::unique_ptr<ConnectionPool>> ConnectionPool::Create(
    const PoolOptions& options) {
  if (options.size < 1) {
    return error::InvalidInput(
        absl::StrCat("redis pool size must be at least 1, got ", options.size));
  }
  std::vector<Impl::HostPort> servers;
  if (options.sentinels.empty()) {
    if (!options.master_name.empty()) {
      return error::InvalidInput("a redis master name needs sentinels to ask for it");
    }
    absl::StatusOr<Impl::HostPort> host_port = ParseHostPort(options.address);
    if (!host_port.ok()) return host_port.status();
    servers.push_back(*std::move(host_port));
  } else {
    if (options.master_name.empty()) {
      return error::InvalidInput(
          "redis sentinels need the name of the master to ask for");
    }
    for (const std::string& sentinel : options.sentinels) {
      absl::StatusOr<Impl::HostPort> host_port = ParseHostPort(sentinel);
      if (!host_port.ok()) return host_port.status();
      servers.push_back(*std::move(host_port));
    }
  }
  IgnoreSigpipeUnlessHandled();
  auto impl = std::make_unique<Impl>(options, std::move(servers));
  return std::unique_ptr<ConnectionPool>(new ConnectionPool(std::move(impl)));
}

ConnectionPool::ConnectionPool(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ConnectionPool::~ConnectionPool() = default;

absl::StatusOr<Reply> ConnectionPool::Command(const std::vector<std::string_view>& argv) {
  return Command(argv, Retry::kIfReadOnly);
}

absl::StatusOr<std::vector<Reply>> ConnectionPool::Pipeline(
    const std::vector<std::vector<std::string_view>>& commands) {
  return Pipeline(commands, Retry::kIfReadOnly);
}

absl::StatusOr<Reply> ConnectionPool::Command(const std::vector<std::string_view>& argv,
                                              Retry retry) {
  absl::StatusOr<std::vector<Reply>> replies =
      impl_->Execute(CommandList(&argv, 1), retry);
  if (!replies.ok()) return replies.status();
  return std::move(replies->front());
}

absl::StatusOr<std::vector<Reply>> ConnectionPool::Pipeline(
    const std::vector<std::vector<std::string_view>>& commands, Retry retry) {
  return impl_->Execute(CommandList(commands), retry);
}

}  // namespace cmtp::redis
