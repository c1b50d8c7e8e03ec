// Reading /metrics the way Prometheus does: an HTTP GET over a plain TCP
// socket, and the samples of the text format picked apart.
#ifndef CMTP_TESTS_UNIT_OBSERVABILITY_METRICS_SCRAPE_H_
#define CMTP_TESTS_UNIT_OBSERVABILITY_METRICS_SCRAPE_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cmtp::testing {

struct HttpResponse {
  int status = 0;
  std::string headers;
  std::string body;
};

// GET `path` from 127.0.0.1:`port` (HTTP/1.0, so the server closes after the
// response); nullopt when the connection or the response fails.
std::optional<HttpResponse> HttpGet(int port, const std::string& path);

// One sample line: `name{label="value",...} value`.
struct MetricSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Every sample of a text-format body (comments skipped); nullopt when a
// line is malformed.
std::optional<std::vector<MetricSample>> ParseSamples(std::string_view body);

// The value of the sample named `name` with exactly these labels.
std::optional<double> SampleValue(const std::vector<MetricSample>& samples,
                                  const std::string& name,
                                  const std::map<std::string, std::string>& labels);

}  // namespace cmtp::testing

#endif  // CMTP_TESTS_UNIT_OBSERVABILITY_METRICS_SCRAPE_H_
