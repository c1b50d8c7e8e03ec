// Reading a service's Prometheus endpoint over plain HTTP, for the tests
// that check what a service counts.
#ifndef CMTP_TESTS_SUPPORT_METRICS_SCRAPE_H_
#define CMTP_TESTS_SUPPORT_METRICS_SCRAPE_H_

#include <string>

namespace cmtp::testing {

// The body of GET http://127.0.0.1:PORT/metrics; "" when it cannot be read.
std::string ScrapeMetrics(int port);

// The value of the sample `series` (name and labels exactly as exposed);
// -1 when absent.
double Sample(const std::string& metrics, const std::string& series);

}  // namespace cmtp::testing

#endif  // CMTP_TESTS_SUPPORT_METRICS_SCRAPE_H_
