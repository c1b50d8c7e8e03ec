// Log lines collected from any thread, for a Logger's sink.
#ifndef CMTP_TESTS_UNIT_OBSERVABILITY_CAPTURED_LINES_H_
#define CMTP_TESTS_UNIT_OBSERVABILITY_CAPTURED_LINES_H_

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "lib/observability/logger.h"

namespace cmtp::testing {

class CapturedLines {
 public:
  observability::Logger::LineSink Sink() {
    return [this](std::string_view line) {
      std::lock_guard<std::mutex> lock(mutex_);
      lines_.emplace_back(line);
    };
  }
  std::vector<std::string> lines() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

}  // namespace cmtp::testing

#endif  // CMTP_TESTS_UNIT_OBSERVABILITY_CAPTURED_LINES_H_
