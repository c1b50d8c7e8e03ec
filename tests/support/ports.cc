#include "tests/support/ports.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <string>

namespace cmtp::testing {

namespace {

// The lowest port the system hands out for outgoing connections.
int EphemeralLow() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  if (!(range >> low) || low < 2048) return 32768;
  return low;
}

// True when 127.0.0.1:`port` can be bound now.
bool Bindable(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) std::abort();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// Claims `port` for this process until it exits: an exclusive lock on a
// file named after it, which test processes running side by side (ctest -j)
// check before they use a port. The descriptor stays open on purpose; the
// lock goes with the process.
bool ClaimForThisProcess(int port) {
  static const std::string dir = [] {
    std::string path = "/tmp/cmtp-test-ports";
    mkdir(path.c_str(), 0777);
    return path;
  }();
  const std::string path = dir + "/" + std::to_string(port);
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return false;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return false;
  }
  return true;
}

}  // namespace

int FreePort() {
  static const int low = EphemeralLow();
  // 10000 .. low-1: above the well-known and the usual service ports.
  const int first = 10000;
  if (low - first < 1000) std::abort();
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  static std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> pick(first, low - 1);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int port = pick(random);
    if (Bindable(port) && ClaimForThisProcess(port)) return port;
  }
  std::fprintf(stderr, "no free port below %d\n", low);
  std::abort();
}

std::string VectorPath(const std::string& name) {
  return std::string(CMTP_VECTORS_DIR) + "/" + name;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read fixture %s\n", path.c_str());
    std::abort();
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string MakeTempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(base != nullptr ? base : "/tmp") + "/" + prefix + "XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) std::abort();
  return tmpl;
}

}  // namespace cmtp::testing
