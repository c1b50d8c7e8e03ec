#include "services/relay/discovery.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/common/errors.h"
#include "lib/common/strings.h"
#include "lib/redis/client.h"

namespace cmtp::relay {
namespace {

constexpr int kNoTtl = -1;

// The smallest TTL among the answer records of a raw DNS reply (c-ares'
// SRV and MX parsers do not report TTLs). kNoTtl when there is none.
int MinAnswerTtl(const unsigned char* abuf, int alen) {
  if (alen < 12) return kNoTtl;
  int qdcount = (abuf[4] << 8) | abuf[5];
  int ancount = (abuf[6] << 8) | abuf[7];
  const unsigned char* p = abuf + 12;
  const unsigned char* end = abuf + alen;
  auto skip_name = [&]() -> bool {
    char* name = nullptr;
    long len = 0;
    if (ares_expand_name(p, abuf, alen, &name, &len) != ARES_SUCCESS) return false;
    ares_free_string(name);
    p += len;
    return p <= end;
  };
  for (int i = 0; i < qdcount; ++i) {
    if (!skip_name() || end - p < 4) return kNoTtl;
    p += 4;
  }
  int min_ttl = kNoTtl;
  for (int i = 0; i < ancount; ++i) {
    if (!skip_name() || end - p < 10) return min_ttl;
    int ttl = static_cast<int>((static_cast<uint32_t>(p[4]) << 24) | (p[5] << 16) |
                               (p[6] << 8) | p[7]);
    int rdlen = (p[8] << 8) | p[9];
    p += 10;
    if (end - p < rdlen) return min_ttl;
    p += rdlen;
    if (ttl >= 0 && (min_ttl == kNoTtl || ttl < min_ttl)) min_ttl = ttl;
  }
  return min_ttl;
}

// Status codes c-ares reports for "the name has no such records" as opposed
// to "the lookup failed".
bool IsNoData(int status) { return status == ARES_ENODATA || status == ARES_ENOTFOUND; }

absl::Status LookupFailure(std::string_view what, int status) {
  return error::Unavailable(
      absl::StrCat("DNS lookup of ", ToAbsl(what), " failed: ", ares_strerror(status)));
}

struct SrvTarget {
  std::string host;
  int port = 0;
  int priority = 0;
  int weight = 0;
};

// RFC 2782 ordering: ascending priority; within one priority, a weighted
// random order (weight 0 entries get a small chance, as the RFC asks).
std::vector<SrvTarget> OrderSrv(std::vector<SrvTarget> targets, std::mt19937& rng) {
  std::stable_sort(
      targets.begin(), targets.end(),
      [](const SrvTarget& a, const SrvTarget& b) { return a.priority < b.priority; });
  std::vector<SrvTarget> ordered;
  size_t i = 0;
  while (i < targets.size()) {
    size_t j = i;
    while (j < targets.size() && targets[j].priority == targets[i].priority) ++j;
    std::vector<SrvTarget> group(targets.begin() + i, targets.begin() + j);
    while (!group.empty()) {
      int64_t total = 0;
      for (const auto& t : group) total += t.weight + 1;
      std::uniform_int_distribution<int64_t> pick(0, total - 1);
      int64_t r = pick(rng);
      size_t chosen = 0;
      for (; chosen < group.size(); ++chosen) {
        r -= group[chosen].weight + 1;
        if (r < 0) break;
      }
      ordered.push_back(group[chosen]);
      group.erase(group.begin() + static_cast<long>(chosen));
    }
    i = j;
  }
  return ordered;
}

class CaresDiscovery final : public Discovery {
 public:
  explicit CaresDiscovery(DiscoveryOptions options)
      : options_(std::move(options)), rng_(std::random_device{}()) {}

  ~CaresDiscovery() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    Wake();
    if (thread_.joinable()) thread_.join();
    if (channel_ != nullptr) ares_destroy(channel_);
    if (wake_fd_ >= 0) close(wake_fd_);
  }

  absl::Status Init() {
    static std::once_flag once;
    static int library_status = ARES_SUCCESS;
    std::call_once(once, [] { library_status = ares_library_init(ARES_LIB_INIT_ALL); });
    if (library_status != ARES_SUCCESS) {
      return error::Internal(absl::StrCat("c-ares: ", ares_strerror(library_status)));
    }
    ares_options opts{};
    int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
    opts.timeout = static_cast<int>(options_.query_timeout.count());
    opts.tries = options_.query_tries;
    std::string lookups = "b";  // DNS only when a server is named: no /etc/hosts
    if (!options_.dns_server.empty()) {
      opts.lookups = lookups.data();
      mask |= ARES_OPT_LOOKUPS;
    }
    int status = ares_init_options(&channel_, &opts, mask);
    if (status != ARES_SUCCESS) {
      return error::Internal(absl::StrCat("c-ares init: ", ares_strerror(status)));
    }
    if (!options_.dns_server.empty()) {
      status = ares_set_servers_ports_csv(channel_, options_.dns_server.c_str());
      if (status != ARES_SUCCESS) {
        return error::InvalidInput(absl::StrCat("bad DNS server \"", options_.dns_server,
                                                "\": ", ares_strerror(status)));
      }
    }
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) return error::Internal("eventfd failed");
    if (!options_.now_ms) {
      options_.now_ms = [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
      };
    }
    thread_ = std::thread([this] { Loop(); });
    return absl::OkStatus();
  }

  absl::StatusOr<Discovered> Resolve(std::string_view domain_in) override {
    std::string domain = absl::AsciiStrToLower(ToAbsl(domain_in));
    if (domain.empty() || domain.size() > 253) {
      return error::InvalidInput("a domain is 1 to 253 characters");
    }
    if (auto it = options_.static_peers.find(domain); it != options_.static_peers.end()) {
      return ResolveStatic(it->second);
    }
    if (auto cached = FromCache(domain)) return *cached;

    auto request = std::make_shared<Request>();
    request->domain = domain;
    std::future<absl::StatusOr<Discovered>> result = request->promise.get_future();
    {
      std::lock_guard<std::mutex> lock(mu_);
      incoming_.push_back(request);
    }
    Wake();
    absl::StatusOr<Discovered> answer = result.get();
    StoreInCache(domain, answer, request->ttl);
    return answer;
  }

 private:
  // One Resolve() in flight on the resolver thread. Every field is touched
  // only by that thread, except the promise's future.
  struct Request {
    std::string domain;
    std::promise<absl::StatusOr<Discovered>> promise;
    DiscoverySource source = DiscoverySource::kAddress;
    std::vector<SrvTarget> targets;  // hosts to resolve, in order
    std::vector<std::vector<PeerAddress>> per_target;
    int pending = 0;
    int ttl = kNoTtl;
    absl::Status first_failure;
    bool done = false;
  };
  using RequestPtr = std::shared_ptr<Request>;

  struct CacheEntry {
    absl::StatusOr<Discovered> answer;
    int64_t expires_ms = 0;
  };

  absl::StatusOr<Discovered> ResolveStatic(const std::string& host_port) {
    auto parsed = redis::ParseHostPort(host_port);
    if (!parsed.ok()) return parsed.status();
    // A literal address needs no lookup; a name goes through DNS like an
    // MX host would, so the override also works with names.
    Discovered d;
    d.source = DiscoverySource::kStatic;
    unsigned char buf[16];
    if (inet_pton(AF_INET, parsed->first.c_str(), buf) == 1 ||
        inet_pton(AF_INET6, parsed->first.c_str(), buf) == 1) {
      d.addresses.push_back({parsed->first, parsed->first, parsed->second});
      return d;
    }
    auto request = std::make_shared<Request>();
    request->domain = parsed->first;
    request->source = DiscoverySource::kStatic;
    request->targets.push_back({parsed->first, parsed->second, 0, 0});
    auto result = request->promise.get_future();
    {
      std::lock_guard<std::mutex> lock(mu_);
      incoming_.push_back(request);
    }
    Wake();
    return result.get();
  }

  std::optional<absl::StatusOr<Discovered>> FromCache(const std::string& domain) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(domain);
    if (it == cache_.end()) return std::nullopt;
    if (it->second.expires_ms <= options_.now_ms()) {
      cache_.erase(it);
      return std::nullopt;
    }
    return it->second.answer;
  }

  void StoreInCache(const std::string& domain, const absl::StatusOr<Discovered>& answer,
                    int ttl) {
    int seconds;
    if (answer.ok()) {
      seconds = ttl == kNoTtl ? 60 : std::min(ttl, options_.max_cache_seconds);
    } else {
      seconds = options_.negative_cache_seconds;
    }
    if (seconds <= 0) return;
    std::lock_guard<std::mutex> lock(mu_);
    cache_[domain] = CacheEntry{answer, options_.now_ms() + seconds * 1000LL};
  }

  void Wake() {
    uint64_t one = 1;
    if (wake_fd_ >= 0) {
      ssize_t ignored = write(wake_fd_, &one, sizeof(one));
      (void)ignored;
    }
  }

  // The resolver thread: drives c-ares with poll(2) over its sockets plus
  // the wake-up eventfd.
  void Loop() {
    while (true) {
      std::deque<RequestPtr> fresh;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) break;
        fresh.swap(incoming_);
      }
      for (auto& request : fresh) Start(request);

      ares_socket_t socks[ARES_GETSOCK_MAXNUM];
      int bitmask = ares_getsock(channel_, socks, ARES_GETSOCK_MAXNUM);
      std::vector<pollfd> fds;
      fds.push_back({wake_fd_, POLLIN, 0});
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        short events = 0;
        if (ARES_GETSOCK_READABLE(bitmask, i)) events |= POLLIN;
        if (ARES_GETSOCK_WRITABLE(bitmask, i)) events |= POLLOUT;
        if (events != 0) fds.push_back({socks[i], events, 0});
      }
      timeval tv{};
      timeval max_wait{1, 0};
      timeval* wait = ares_timeout(channel_, &max_wait, &tv);
      int timeout_ms = static_cast<int>(wait->tv_sec * 1000 + wait->tv_usec / 1000);
      poll(fds.data(), fds.size(), timeout_ms);
      if (fds[0].revents & POLLIN) {
        uint64_t drained;
        ssize_t ignored = read(wake_fd_, &drained, sizeof(drained));
        (void)ignored;
      }
      bool any = false;
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        any = true;
        ares_socket_t r =
            (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD;
        ares_socket_t w = (fds[i].revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
        ares_process_fd(channel_, r, w);
      }
      if (!any) ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    }
    // Fail whatever is still waiting so no caller blocks forever.
    ares_cancel(channel_);
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& r : incoming_) {
      r->promise.set_value(error::Unavailable("resolver is shutting down"));
    }
    incoming_.clear();
  }

  void Start(const RequestPtr& request) {
    if (!request->targets.empty()) {  // a static override naming a host
      ResolveTargets(request);
      return;
    }
    std::string srv_name = absl::StrCat("_cmtp._tcp.", request->domain);
    auto* holder = new RequestPtr(request);
    ares_query(channel_, srv_name.c_str(), ns_c_in, ns_t_srv, &CaresDiscovery::OnSrv,
               new Callback{this, holder});
  }

  struct Callback {
    CaresDiscovery* self;
    RequestPtr* request;
  };

  static void OnSrv(void* arg, int status, int /*timeouts*/, unsigned char* abuf,
                    int alen) {
    std::unique_ptr<Callback> cb(static_cast<Callback*>(arg));
    std::unique_ptr<RequestPtr> holder(cb->request);
    cb->self->HandleSrv(*holder, status, abuf, alen);
  }

  void HandleSrv(const RequestPtr& request, int status, unsigned char* abuf, int alen) {
    if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION) {
      Finish(request, error::Unavailable("resolver is shutting down"));
      return;
    }
    if (status == ARES_SUCCESS) {
      ares_srv_reply* reply = nullptr;
      if (ares_parse_srv_reply(abuf, alen, &reply) == ARES_SUCCESS && reply != nullptr) {
        std::vector<SrvTarget> targets;
        for (ares_srv_reply* r = reply; r != nullptr; r = r->next) {
          // "." as target means "no service at this domain" (RFC 2782).
          if (std::string(r->host).empty() || std::string(r->host) == ".") continue;
          targets.push_back({r->host, r->port, r->priority, r->weight});
        }
        ares_free_data(reply);
        request->ttl = MinAnswerTtl(abuf, alen);
        if (targets.empty()) {
          Finish(request, error::NotFound(absl::StrCat(
                              request->domain, " declares no CMTP service (SRV \".\")")));
          return;
        }
        request->source = DiscoverySource::kSrv;
        request->targets = OrderSrv(std::move(targets), rng_);
        ResolveTargets(request);
        return;
      }
    } else if (!IsNoData(status)) {
      Finish(request,
             LookupFailure(absl::StrCat("_cmtp._tcp.", request->domain), status));
      return;
    }
    // No SRV: try MX.
    auto* holder = new RequestPtr(request);
    ares_query(channel_, request->domain.c_str(), ns_c_in, ns_t_mx, &CaresDiscovery::OnMx,
               new Callback{this, holder});
  }

  static void OnMx(void* arg, int status, int /*timeouts*/, unsigned char* abuf,
                   int alen) {
    std::unique_ptr<Callback> cb(static_cast<Callback*>(arg));
    std::unique_ptr<RequestPtr> holder(cb->request);
    cb->self->HandleMx(*holder, status, abuf, alen);
  }

  void HandleMx(const RequestPtr& request, int status, unsigned char* abuf, int alen) {
    if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION) {
      Finish(request, error::Unavailable("resolver is shutting down"));
      return;
    }
    if (status == ARES_SUCCESS) {
      ares_mx_reply* reply = nullptr;
      if (ares_parse_mx_reply(abuf, alen, &reply) == ARES_SUCCESS && reply != nullptr) {
        std::vector<SrvTarget> targets;
        for (ares_mx_reply* r = reply; r != nullptr; r = r->next) {
          if (std::string(r->host).empty() || std::string(r->host) == ".") continue;
          targets.push_back({r->host, options_.default_port, r->priority, 0});
        }
        ares_free_data(reply);
        std::stable_sort(targets.begin(), targets.end(),
                         [](const SrvTarget& a, const SrvTarget& b) {
                           return a.priority < b.priority;
                         });
        request->ttl = MinAnswerTtl(abuf, alen);
        if (!targets.empty()) {
          request->source = DiscoverySource::kMx;
          request->targets = std::move(targets);
          ResolveTargets(request);
          return;
        }
      }
    } else if (!IsNoData(status)) {
      Finish(request, LookupFailure(request->domain, status));
      return;
    }
    // No MX either: the domain's own addresses.
    request->source = DiscoverySource::kAddress;
    request->targets = {{request->domain, options_.default_port, 0, 0}};
    ResolveTargets(request);
  }

  void ResolveTargets(const RequestPtr& request) {
    request->per_target.assign(request->targets.size(), {});
    request->pending = static_cast<int>(request->targets.size());
    for (size_t i = 0; i < request->targets.size(); ++i) {
      ares_addrinfo_hints hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      auto* holder = new RequestPtr(request);
      ares_getaddrinfo(channel_, request->targets[i].host.c_str(), nullptr, &hints,
                       &CaresDiscovery::OnAddrInfo, new AddrCallback{this, holder, i});
    }
  }

  struct AddrCallback {
    CaresDiscovery* self;
    RequestPtr* request;
    size_t index;
  };

  static void OnAddrInfo(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
    std::unique_ptr<AddrCallback> cb(static_cast<AddrCallback*>(arg));
    std::unique_ptr<RequestPtr> holder(cb->request);
    cb->self->HandleAddrInfo(*holder, cb->index, status, result);
    if (result != nullptr) ares_freeaddrinfo(result);
  }

  void HandleAddrInfo(const RequestPtr& request, size_t index, int status,
                      ares_addrinfo* result) {
    const SrvTarget& target = request->targets[index];
    if (status == ARES_SUCCESS && result != nullptr) {
      for (ares_addrinfo_node* n = result->nodes; n != nullptr; n = n->ai_next) {
        char text[INET6_ADDRSTRLEN] = {};
        if (n->ai_family == AF_INET) {
          inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(n->ai_addr)->sin_addr, text,
                    sizeof(text));
        } else if (n->ai_family == AF_INET6) {
          inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(n->ai_addr)->sin6_addr,
                    text, sizeof(text));
        } else {
          continue;
        }
        request->per_target[index].push_back({target.host, text, target.port});
        if (n->ai_ttl >= 0 && (request->ttl == kNoTtl || n->ai_ttl < request->ttl)) {
          request->ttl = n->ai_ttl;
        }
      }
    } else if (!IsNoData(status) && request->first_failure.ok()) {
      request->first_failure = LookupFailure(target.host, status);
    }
    if (--request->pending > 0) return;

    Discovered d;
    d.source = request->source;
    for (auto& addresses : request->per_target) {
      for (auto& a : addresses) d.addresses.push_back(std::move(a));
    }
    if (!d.addresses.empty()) {
      Finish(request, std::move(d));
    } else if (!request->first_failure.ok()) {
      Finish(request, request->first_failure);
    } else {
      Finish(request,
             error::NotFound(absl::StrCat("no CMTP server found for ", request->domain,
                                          " (no SRV, MX or address records)")));
    }
  }

  void Finish(const RequestPtr& request, absl::StatusOr<Discovered> answer) {
    if (request->done) return;
    request->done = true;
    request->promise.set_value(std::move(answer));
  }

  DiscoveryOptions options_;
  std::mt19937 rng_;  // resolver thread only
  ares_channel channel_ = nullptr;
  int wake_fd_ = -1;
  std::thread thread_;

  std::mutex mu_;
  bool stopping_ = false;
  std::deque<RequestPtr> incoming_;
  std::map<std::string, CacheEntry> cache_;
};

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> ParseStaticPeers(
    std::string_view spec) {
  std::map<std::string, std::string> peers;
  for (absl::string_view entry :
       absl::StrSplit(ToAbsl(spec), ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> kv = absl::StrSplit(entry, absl::MaxSplits('=', 1));
    if (kv.size() != 2 || kv[0].empty()) {
      return error::InvalidInput(
          absl::StrCat("peer entry \"", entry, "\" is not domain=host:port"));
    }
    std::string domain = absl::AsciiStrToLower(absl::StripAsciiWhitespace(kv[0]));
    std::string target(absl::StripAsciiWhitespace(kv[1]));
    auto parsed = redis::ParseHostPort(target);
    if (!parsed.ok()) {
      return error::InvalidInput(
          absl::StrCat("peer entry \"", entry, "\": ", parsed.status().message()));
    }
    peers[domain] = target;
  }
  return peers;
}

absl::StatusOr<std::unique_ptr<Discovery>> MakeCaresDiscovery(DiscoveryOptions options) {
  auto discovery = std::make_unique<CaresDiscovery>(std::move(options));
  absl::Status status = discovery->Init();
  if (!status.ok()) return status;
  return std::unique_ptr<Discovery>(std::move(discovery));
}

}  // namespace cmtp::relay
