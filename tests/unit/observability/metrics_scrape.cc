#include "tests/unit/observability/metrics_scrape.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace cmtp::testing {
namespace {

class Socket {
 public:
  Socket() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    data.remove_prefix(static_cast<size_t>(sent));
  }
  return true;
}

std::optional<std::string> ReadToEnd(int fd) {
  std::string data;
  char buffer[4096];
  while (true) {
    ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return std::nullopt;
    if (got == 0) return data;
    data.append(buffer, static_cast<size_t>(got));
  }
}

// `{a="x",b="y\"z"}` starting at text[pos] (just after the name).
std::optional<std::map<std::string, std::string>> ParseLabels(std::string_view text,
                                                              size_t& pos) {
  std::map<std::string, std::string> labels;
  if (pos >= text.size() || text[pos] != '{') return labels;
  ++pos;
  while (pos < text.size() && text[pos] != '}') {
    const size_t equals = text.find('=', pos);
    if (equals == std::string_view::npos || equals + 1 >= text.size() ||
        text[equals + 1] != '"') {
      return std::nullopt;
    }
    std::string name(text.substr(pos, equals - pos));
    pos = equals + 2;
    std::string value;
    while (pos < text.size() && text[pos] != '"') {
      if (text[pos] == '\\' && pos + 1 < text.size()) {
        ++pos;
        value.push_back(text[pos] == 'n' ? '\n' : text[pos]);
      } else {
        value.push_back(text[pos]);
      }
      ++pos;
    }
    if (pos >= text.size()) return std::nullopt;
    ++pos;  // closing quote
    labels.emplace(std::move(name), std::move(value));
    if (pos < text.size() && text[pos] == ',') ++pos;
  }
  if (pos >= text.size()) return std::nullopt;
  ++pos;  // '}'
  return labels;
}

}  // namespace

std::optional<HttpResponse> HttpGet(int port, const std::string& path) {
  Socket socket;
  if (socket.fd() < 0) return std::nullopt;
  timeval timeout{10, 0};
  setsockopt(socket.fd(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(socket.fd(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
      0) {
    return std::nullopt;
  }
  if (!SendAll(socket.fd(), "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")) {
    return std::nullopt;
  }
  std::optional<std::string> raw = ReadToEnd(socket.fd());
  if (!raw) return std::nullopt;
  const size_t header_end = raw->find("\r\n\r\n");
  if (header_end == std::string::npos || raw->compare(0, 5, "HTTP/") != 0) {
    return std::nullopt;
  }
  HttpResponse response;
  response.headers = raw->substr(0, header_end);
  response.body = raw->substr(header_end + 4);
  const size_t space = response.headers.find(' ');
  if (space == std::string::npos) return std::nullopt;
  response.status = std::atoi(response.headers.c_str() + space + 1);
  return response;
}

std::optional<std::vector<MetricSample>> ParseSamples(std::string_view body) {
  std::vector<MetricSample> samples;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line.front() == '#') continue;
    MetricSample sample;
    size_t pos = line.find_first_of("{ ");
    if (pos == std::string_view::npos) return std::nullopt;
    sample.name = std::string(line.substr(0, pos));
    std::optional<std::map<std::string, std::string>> labels = ParseLabels(line, pos);
    if (!labels) return std::nullopt;
    sample.labels = std::move(*labels);
    if (pos >= line.size() || line[pos] != ' ') return std::nullopt;
    std::string value(line.substr(pos + 1));
    char* parsed_end = nullptr;
    sample.value = std::strtod(value.c_str(), &parsed_end);
    if (parsed_end == value.c_str()) return std::nullopt;
    samples.push_back(std::move(sample));
  }
  return samples;
}

std::optional<double> SampleValue(const std::vector<MetricSample>& samples,
                                  const std::string& name,
                                  const std::map<std::string, std::string>& labels) {
  for (const MetricSample& sample : samples) {
    if (sample.name == name && sample.labels == labels) return sample.value;
  }
  return std::nullopt;
}

}  // namespace cmtp::testing
