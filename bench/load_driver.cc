#include "bench/load_driver.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/wire/reply_parser.h"

namespace cmtp::bench {
namespace {

constexpr int kMaxEvents = 512;
constexpr size_t kReadChunk = 64 * 1024;
// The longest epoll wait: how often timeouts and the duration cap are checked.
constexpr std::chrono::milliseconds kTick{100};

std::string Errno(std::string_view what) {
  return absl::StrCat(ToAbsl(what), ": ", std::strerror(errno));
}

int64_t Nanos(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

}  // namespace

absl::StatusOr<Target> ResolveTarget(const client::Endpoint& endpoint) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(endpoint.port);
  const int rc = getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    return error::Unavailable(
        absl::StrCat("cannot resolve ", endpoint.ToString(), ": ", gai_strerror(rc)));
  }
  Target target;
  std::memcpy(&target.address, found->ai_addr, found->ai_addrlen);
  target.length = found->ai_addrlen;
  target.text = endpoint.ToString();
  freeaddrinfo(found);
  return target;
}

absl::Status RaiseFileLimit(size_t needed) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return error::Internal(Errno("getrlimit(RLIMIT_NOFILE)"));
  }
  if (limit.rlim_cur >= needed) return absl::OkStatus();
  rlimit raised = limit;
  raised.rlim_cur = needed;
  if (raised.rlim_max < needed) raised.rlim_max = needed;
  if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
    return error::LimitExceeded(absl::StrCat(
        "need ", needed, " file descriptors but RLIMIT_NOFILE is ", limit.rlim_cur,
        " (hard ", limit.rlim_max, ") and cannot be raised: ", std::strerror(errno),
        "; raise it with ulimit -n"));
  }
  return absl::OkStatus();
}

struct LoadDriver::Conn {
  enum class Phase { kConnecting, kBanner, kReady, kSending, kAwaiting, kDead };
  int fd = -1;
  bool idle = false;
  Phase phase = Phase::kConnecting;
  bool watching_writes = false;
  std::unique_ptr<wire::ReplyParser> parser;
  Request request;
  size_t written = 0;
  size_t job = 0;
  Clock::time_point origin;   // latency is measured from here
  Clock::time_point sent_at;  // the I/O timeout runs from here

  bool InFlight() const { return phase == Phase::kSending || phase == Phase::kAwaiting; }
  size_t RequestSize() const { return request.head.size() + request.body.size(); }
};

LoadDriver::LoadDriver(Target target, wire::Limits limits)
    : target_(std::move(target)), limits_(limits) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
}

LoadDriver::~LoadDriver() {
  for (auto& conn : conns_) {
    if (conn->fd >= 0) close(conn->fd);
  }
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

size_t LoadDriver::active_count() const {
  return std::count_if(conns_.begin(), conns_.end(), [](const auto& c) {
    return !c->idle && c->phase != Conn::Phase::kDead;
  });
}

size_t LoadDriver::idle_alive() const {
  return std::count_if(conns_.begin(), conns_.end(), [](const auto& c) {
    return c->idle && c->phase != Conn::Phase::kDead;
  });
}

absl::Status LoadDriver::OpenActive(size_t count, size_t max_pending,
                                    std::chrono::milliseconds timeout) {
  return Open(count, /*idle=*/false, max_pending, timeout);
}

absl::Status LoadDriver::OpenIdle(size_t count, size_t max_pending,
                                  std::chrono::milliseconds timeout) {
  return Open(count, /*idle=*/true, max_pending, timeout);
}

void LoadDriver::Kill(Conn& conn) {
  if (conn.fd >= 0) close(conn.fd);  // also leaves the epoll set
  conn.fd = -1;
  conn.phase = Conn::Phase::kDead;
  conn.parser.reset();
}

void LoadDriver::WatchWrites(Conn& conn, bool on) {
  if (conn.watching_writes == on || conn.fd < 0) return;
  epoll_event ev{};
  ev.events = static_cast<uint32_t>(EPOLLIN | EPOLLRDHUP) |
              (on ? static_cast<uint32_t>(EPOLLOUT) : 0u);
  ev.data.ptr = &conn;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn.fd, &ev);
  conn.watching_writes = on;
}

absl::Status LoadDriver::Open(size_t count, bool idle, size_t max_pending,
                              std::chrono::milliseconds timeout) {
  if (epoll_fd_ < 0) return error::Internal(Errno("epoll_create1"));
  const Clock::time_point deadline = Clock::now() + timeout;
  max_pending = std::max<size_t>(max_pending, 1);
  size_t started = 0;
  size_t pending = 0;
  size_t opened = 0;
  epoll_event events[kMaxEvents];
  while (opened < count) {
    while (started < count && pending < max_pending) {
      const int fd = socket(target_.address.ss_family,
                            SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        return error::Unavailable(
            Errno(absl::StrCat("socket (after ", started, " connections)")));
      }
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (connect(fd, reinterpret_cast<const sockaddr*>(&target_.address),
                  target_.length) != 0 &&
          errno != EINPROGRESS) {
        const std::string why = Errno(absl::StrCat("connect to ", target_.text));
        close(fd);
        return error::Unavailable(why);
      }
      auto conn = std::make_unique<Conn>();
      conn->fd = fd;
      conn->idle = idle;
      conn->phase = Conn::Phase::kConnecting;
      conn->watching_writes = true;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
      ev.data.ptr = conn.get();
      if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        const std::string why = Errno("epoll_ctl");
        close(fd);
        return error::Internal(why);
      }
      conns_.push_back(std::move(conn));
      ++started;
      ++pending;
    }
    const Clock::time_point now = Clock::now();
    if (now >= deadline) {
      return error::Unavailable(
          absl::StrCat("only ", opened, " of ", count, " connections to ", target_.text,
                       " were ready within ", timeout.count(), " ms"));
    }
    const int n =
        epoll_wait(epoll_fd_, events, kMaxEvents, static_cast<int>(kTick.count()));
    if (n < 0 && errno != EINTR) return error::Internal(Errno("epoll_wait"));
    for (int i = 0; i < n; ++i) {
      auto* conn = static_cast<Conn*>(events[i].data.ptr);
      if (conn == nullptr) continue;
      if (conn->phase == Conn::Phase::kConnecting ||
          conn->phase == Conn::Phase::kBanner) {
        std::string failure;
        OnOpening(*conn, events[i].events, &failure);
        if (conn->phase == Conn::Phase::kReady) {
          --pending;
          ++opened;
        } else if (conn->phase == Conn::Phase::kDead) {
          return error::Unavailable(
              absl::StrCat("connection ", started, " to ", target_.text, ": ", failure));
        }
      } else {
        OnIdleEvent(*conn, events[i].events);
      }
    }
  }
  return absl::OkStatus();
}

void LoadDriver::OnOpening(Conn& conn, uint32_t events, std::string* failure) {
  if (conn.phase == Conn::Phase::kConnecting) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(conn.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) {
      *failure = absl::StrCat("connect: ", std::strerror(err));
      Kill(conn);
      return;
    }
    if ((events & (EPOLLOUT | EPOLLIN)) == 0) return;
    conn.phase = Conn::Phase::kBanner;
    conn.parser = std::make_unique<wire::ReplyParser>(wire::ReplyKind::kText, limits_);
    WatchWrites(conn, false);
    if ((events & EPOLLIN) == 0) return;
  }
  wire::Reply banner;
  if (!ReadReply(conn, &banner, failure)) return;
  if (banner.has_status) {
    *failure = absl::StrCat("refused instead of a banner: ", banner.status.detail);
    Kill(conn);
    return;
  }
  conn.phase = Conn::Phase::kReady;
}

void LoadDriver::OnIdleEvent(Conn& conn, uint32_t events) {
  if (conn.phase == Conn::Phase::kDead) return;
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) == 0) return;
  // Nothing is expected on a connection at rest: a close or stray bytes
  // both end it.
  Kill(conn);
  if (conn.idle) ++idle_dropped_;
}

bool LoadDriver::ReadReply(Conn& conn, wire::Reply* reply, std::string* failure) {
  static char buffer[kReadChunk];
  while (true) {
    const ssize_t n = read(conn.fd, buffer, sizeof buffer);
    if (n > 0) {
      if (conn.parser == nullptr) {
        *failure = "the server sent bytes nobody asked for";
        Kill(conn);
        return false;
      }
      const std::string_view data(buffer, static_cast<size_t>(n));
      const wire::ReplyParser::Result result = conn.parser->Feed(data);
      if (result.state == wire::ReplyParser::State::kError) {
        *failure = absl::StrCat("bad reply: ", conn.parser->error().message());
        Kill(conn);
        return false;
      }
      if (result.state == wire::ReplyParser::State::kReplyReady) {
        if (result.consumed != data.size()) {
          *failure = "the server sent bytes after its reply";
          Kill(conn);
          return false;
        }
        *reply = conn.parser->TakeReply();
        conn.parser.reset();
        return true;
      }
      continue;
    }
    if (n == 0) {
      *failure = "the server closed the connection";
      Kill(conn);
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    *failure = Errno("read");
    Kill(conn);
    return false;
  }
}

bool LoadDriver::WriteSome(Conn& conn, std::string* failure) {
  const size_t total = conn.RequestSize();
  while (conn.written < total) {
    iovec iov[2];
    int count = 0;
    const size_t head = conn.request.head.size();
    if (conn.written < head) {
      iov[count++] = {const_cast<char*>(conn.request.head.data()) + conn.written,
                      head - conn.written};
    }
    const size_t body_offset = conn.written > head ? conn.written - head : 0;
    if (body_offset < conn.request.body.size()) {
      iov[count++] = {const_cast<char*>(conn.request.body.data()) + body_offset,
                      conn.request.body.size() - body_offset};
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    const ssize_t n = sendmsg(conn.fd, &msg, MSG_NOSIGNAL);
    if (n > 0) {
      conn.written += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      WatchWrites(conn, true);
      return true;
    }
    *failure = Errno("send");
    Kill(conn);
    return false;
  }
  WatchWrites(conn, false);
  return true;
}

absl::StatusOr<wire::Reply> LoadDriver::ExchangeBlocking(
    Conn& conn, std::string_view request, wire::ReplyKind kind,
    std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  auto wait = [&](short events) -> absl::Status {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return error::Unavailable("no reply in time");
    pollfd entry{conn.fd, events, 0};
    if (poll(&entry, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) {
      return error::Unavailable(Errno("poll"));
    }
    return absl::OkStatus();
  };
  conn.request = Request{request, {}, kind};
  conn.written = 0;
  conn.parser = std::make_unique<wire::ReplyParser>(kind, limits_);
  std::string failure;
  while (conn.written < conn.RequestSize()) {
    if (!WriteSome(conn, &failure)) return error::Unavailable(failure);
    if (conn.written < conn.RequestSize()) {
      if (absl::Status s = wait(POLLOUT); !s.ok()) return s;
    }
  }
  WatchWrites(conn, false);
  while (true) {
    wire::Reply reply;
    if (ReadReply(conn, &reply, &failure)) return reply;
    if (conn.phase == Conn::Phase::kDead) return error::Unavailable(failure);
    if (absl::Status s = wait(POLLIN); !s.ok()) return s;
  }
}

absl::Status LoadDriver::ForEachActive(
    const std::function<absl::Status(const Exchange&)>& prologue,
    std::chrono::milliseconds timeout) {
  for (auto& owned : conns_) {
    Conn& conn = *owned;
    if (conn.idle || conn.phase != Conn::Phase::kReady) continue;
    const Exchange exchange = [&](std::string_view request, wire::ReplyKind kind) {
      return ExchangeBlocking(conn, request, kind, timeout);
    };
    if (absl::Status s = prologue(exchange); !s.ok()) return s;
    if (conn.phase != Conn::Phase::kDead) conn.phase = Conn::Phase::kReady;
  }
  return absl::OkStatus();
}

RunResult LoadDriver::Run(Workload& workload, const RunPlan& plan) {
  RunResult result;
  result.latencies_ns.reserve(plan.jobs);
  std::vector<Conn*> free_conns;
  for (auto& conn : conns_) {
    if (!conn->idle && conn->phase == Conn::Phase::kReady)
      free_conns.push_back(conn.get());
  }
  if (free_conns.empty()) {
    result.first_error = "no open connection to run on";
    return result;
  }
  // The pacing timer: wakes the loop when the next job is due.
  const int timer_fd =
      plan.rate > 0 ? timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC) : -1;
  if (timer_fd >= 0) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, timer_fd, &ev);
  } else if (plan.rate > 0) {
    result.first_error = Errno("timerfd_create");
    return result;
  }

  const Clock::time_point start = Clock::now();
  const Clock::time_point stop_sending_at = start + plan.max_duration;
  Clock::time_point last_reply = start;
  Clock::time_point next_scan = start + kTick;
  size_t next_job = 0;
  size_t in_flight = 0;
  bool stopped = false;

  auto note = [&](const std::string& failure) {
    if (result.first_error.empty()) result.first_error = failure;
  };
  // A connection lost while it carried a request loses that request.
  auto lost = [&](Conn& conn, const std::string& failure) {
    note(failure);
    ++result.errors;
    --in_flight;
    if (conn.phase != Conn::Phase::kDead) Kill(conn);
  };
  auto due_time = [&](size_t job) {
    return start +
           std::chrono::duration_cast<Clock::duration>(
               std::chrono::duration<double>(static_cast<double>(job) / plan.rate));
  };

  epoll_event events[kMaxEvents];
  while (true) {
    Clock::time_point now = Clock::now();
    if (!stopped && next_job < plan.jobs && now >= stop_sending_at) {
      stopped = true;
      result.duration_cap_hit = true;
    }
    while (!stopped && next_job < plan.jobs && !free_conns.empty()) {
      const Clock::time_point due = plan.rate > 0 ? due_time(next_job) : now;
      if (due > now) break;
      Conn* conn = free_conns.back();
      free_conns.pop_back();
      if (conn->phase != Conn::Phase::kReady) continue;  // died while resting
      conn->job = next_job++;
      conn->request = workload.RequestFor(conn->job);
      conn->written = 0;
      conn->origin = due;
      conn->sent_at = now;
      conn->parser =
          std::make_unique<wire::ReplyParser>(conn->request.reply_kind, limits_);
      conn->phase = Conn::Phase::kSending;
      ++result.sent;
      ++in_flight;
      result.bytes_sent += conn->RequestSize();
      std::string failure;
      if (!WriteSome(*conn, &failure)) {
        lost(*conn, failure);
        continue;
      }
      if (conn->written == conn->RequestSize()) conn->phase = Conn::Phase::kAwaiting;
    }
    const bool no_more = stopped || next_job >= plan.jobs;
    if (no_more && in_flight == 0) break;
    if (!no_more && in_flight == 0 && free_conns.empty()) {
      note("every connection was lost");
      break;
    }

    if (timer_fd >= 0 && !no_more && !free_conns.empty()) {
      const auto until = due_time(next_job).time_since_epoch();
      itimerspec spec{};
      const int64_t ns = std::max<int64_t>(Nanos(until), 1);
      spec.it_value.tv_sec = ns / 1'000'000'000;
      spec.it_value.tv_nsec = ns % 1'000'000'000;
      timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &spec, nullptr);
    }
    const int n =
        epoll_wait(epoll_fd_, events, kMaxEvents, static_cast<int>(kTick.count()));
    if (n < 0 && errno != EINTR) {
      note(Errno("epoll_wait"));
      break;
    }
    for (int i = 0; i < n; ++i) {
      auto* conn = static_cast<Conn*>(events[i].data.ptr);
      const uint32_t ev = events[i].events;
      if (conn == nullptr) {
        uint64_t expirations = 0;
        if (read(timer_fd, &expirations, sizeof expirations) < 0) {
          // Nothing to read: a stale wake-up.
        }
        continue;
      }
      if (conn->phase == Conn::Phase::kDead) continue;
      if (conn->idle || !conn->InFlight()) {
        OnIdleEvent(*conn, ev);
        continue;
      }
      std::string failure;
      if (conn->phase == Conn::Phase::kSending && (ev & EPOLLOUT) != 0) {
        if (!WriteSome(*conn, &failure)) {
          lost(*conn, failure);
          continue;
        }
        if (conn->written == conn->RequestSize()) conn->phase = Conn::Phase::kAwaiting;
      }
      if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) == 0) continue;
      wire::Reply reply;
      if (ReadReply(*conn, &reply, &failure)) {
        const Clock::time_point done = Clock::now();
        last_reply = done;
        result.latencies_ns.push_back(Nanos(done - conn->origin));
        ++result.replies;
        --in_flight;
        if (workload.Accept(conn->job, std::move(reply))) {
          ++result.accepted;
        } else {
          ++result.refused;
        }
        if (conn->phase == Conn::Phase::kSending) {
          // Answered before the request was written out: the server refused
          // it early and the stream cannot continue.
          note("the server answered before the whole request was sent");
          Kill(*conn);
        } else {
          conn->phase = Conn::Phase::kReady;
          free_conns.push_back(conn);
        }
      } else if (conn->phase == Conn::Phase::kDead) {
        lost(*conn, failure);
      }
    }
    now = Clock::now();
    if (now >= next_scan) {
      next_scan = now + kTick;
      for (auto& conn : conns_) {
        if (conn->InFlight() && now - conn->sent_at > plan.io_timeout) {
          lost(*conn, absl::StrCat("no reply within ", plan.io_timeout.count(), " ms"));
        }
      }
    }
  }
  if (timer_fd >= 0) close(timer_fd);
  result.seconds = std::chrono::duration<double>(last_reply - start).count();
  return result;
}

}  // namespace cmtp::bench
