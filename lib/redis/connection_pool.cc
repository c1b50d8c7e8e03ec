// ConnectionPool: blocking hiredis connections handed out one call at a time.
//
// Re-send policy (see Retry in client.h): a connection taken from the free
// list is first checked for a close by Redis (a non-blocking peek), which
// catches the common case of a Redis restart before anything is sent. If the
// connection still breaks during a call, the call is sent once more on a new
// connection only when that is harmless: known read-only commands, or
// commands the caller marked Retry::kSafe. A timeout is never re-sent (Redis
// may still be executing the command, and waiting twice helps nobody).
#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <span>
#include <utility>

#include "absl/strings/str_cat.h"
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
};

}  // namespace

class ConnectionPool::Impl {
 public:
  Impl(PoolOptions options, std::string host, int port)
      : options_(std::move(options)), host_(std::move(host)), port_(port) {}

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
      if (!exchange.connection_broken) {
        Release(*std::move(context));
        return std::move(exchange.replies);
      }
      Release(nullptr);
      bool resend = attempt == 0 && may_resend && !exchange.timed_out;
      if (!resend) return std::move(exchange.replies);
    }
  }

 private:
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
        return error::Unavailable(absl::StrCat(
            "redis at ", options_.address, ": all ", options_.size,
            " connections stayed busy for ", options_.command_timeout.count(), " ms"));
      }
      ++in_use_;
      if (!idle_.empty()) {
        context = std::move(idle_.back());  // most recently used: least likely timed out
        idle_.pop_back();
      }
    }
    if (context != nullptr && LooksAlive(*context)) return context;
    context.reset();
    absl::StatusOr<ContextPtr> fresh = Connect();
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

  absl::StatusOr<ContextPtr> Connect() {
    redisContext* raw = redisConnectWithTimeout(host_.c_str(), port_,
                                                ToTimeval(options_.connect_timeout));
    if (raw == nullptr) {
      return error::Unavailable(
          absl::StrCat("redis at ", options_.address, ": cannot allocate a connection"));
    }
    ContextPtr context(raw);
    if (context->err != 0) {
      return error::Unavailable(
          absl::StrCat("redis at ", options_.address, " unreachable: ", context->errstr));
    }
    if (redisSetTimeout(context.get(), ToTimeval(options_.command_timeout)) != REDIS_OK) {
      return error::Unavailable(absl::StrCat("redis at ", options_.address,
                                             ": cannot set timeouts: ", context->errstr));
    }
    // Keepalive lets a connection idle behind a dead peer be noticed.
    redisEnableKeepAlive(context.get());
    if (!options_.password.empty()) {
      std::vector<std::string_view> auth = {"AUTH", options_.password};
      Exchange exchange = RunOn(*context, CommandList(&auth, 1));
      if (!exchange.replies.ok()) return exchange.replies.status();
    }
    return context;
  }

  Exchange Broken(const redisContext& context, int saved_errno) const {
    Exchange exchange;
    exchange.connection_broken = true;
    exchange.timed_out = context.err == REDIS_ERR_IO &&
                         (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK);
    if (exchange.timed_out) {
      exchange.replies = error::Unavailable(
          absl::StrCat("redis at ", options_.address, ": no reply within ",
                       options_.command_timeout.count(), " ms"));
    } else {
      exchange.replies = error::Unavailable(absl::StrCat(
          "redis at ", options_.address,
          ": connection lost: ", context.err != 0 ? context.errstr : "unknown error"));
    }
    return exchange;
  }

  // Appends every command, then reads every reply (so the connection stays in
  // step even when one of them is an error reply). The argument bytes go to
  // hiredis by pointer and length: no copy of a large value is made here.
  Exchange RunOn(redisContext& context, CommandList commands) const {
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
        return Broken(context, errno);
      }
    }
    std::vector<Reply> replies;
    replies.reserve(commands.size());
    absl::Status first_error;
    for (size_t i = 0; i < commands.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(&context, &raw) != REDIS_OK || raw == nullptr) {
        return Broken(context, errno);
      }
      ReplyPtr reply(static_cast<redisReply*>(raw));
      absl::StatusOr<Reply> converted = ConvertReply(*reply);
      if (converted.ok()) {
        replies.push_back(*std::move(converted));
      } else {
        if (first_error.ok()) first_error = converted.status();
        replies.emplace_back();
      }
    }
    Exchange exchange;
    if (first_error.ok()) {
      exchange.replies = std::move(replies);
    } else {
      exchange.replies = first_error;
    }
    return exchange;
  }

  const PoolOptions options_;
  const std::string host_;
  const int port_;

  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<ContextPtr> idle_;  // guarded by mutex_
  int in_use_ = 0;                // guarded by mutex_
};

absl::StatusOr<std::unique_ptr<ConnectionPool>> ConnectionPool::Create(
    const PoolOptions& options) {
  if (options.size < 1) {
    return error::InvalidInput(
        absl::StrCat("redis pool size must be at least 1, got ", options.size));
  }
  absl::StatusOr<std::pair<std::string, int>> host_port = ParseHostPort(options.address);
  if (!host_port.ok()) return host_port.status();
  IgnoreSigpipeUnlessHandled();
  auto impl =
      std::make_unique<Impl>(options, std::move(host_port->first), host_port->second);
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
