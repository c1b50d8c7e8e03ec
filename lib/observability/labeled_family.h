// A Prometheus metric family whose label names are fixed when it is made:
// one metric per combination of label values, picked by giving the values in
// the same order as the names.
//
//   CounterFamily requests = metrics.Counter("cmtp_x_total", "...", {"command", "code"});
//   requests.With({"MAIL", "OK"}).Increment();
#ifndef CMTP_LIB_OBSERVABILITY_LABELED_FAMILY_H_
#define CMTP_LIB_OBSERVABILITY_LABELED_FAMILY_H_

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/labels.h>

#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace cmtp::observability {

template <typename Metric>
class LabeledFamily {
 public:
  // `buckets`: histograms only.
  LabeledFamily(prometheus::Family<Metric>& family, std::vector<std::string> label_names,
                prometheus::Histogram::BucketBoundaries buckets = {})
      : family_(&family),
        label_names_(std::move(label_names)),
        buckets_(std::move(buckets)) {}

  // The metric for these label values, made on first use. Throws
  // std::invalid_argument when the number of values is not the number of
  // label names (a programming error, like prometheus-cpp's own checks).
  Metric& With(const std::vector<std::string>& label_values) const {
    if (label_values.size() != label_names_.size()) {
      throw std::invalid_argument("metric family: wrong number of label values");
    }
    prometheus::Labels labels;
    for (size_t i = 0; i < label_names_.size(); ++i) {
      labels.emplace(label_names_[i], label_values[i]);
    }
    if constexpr (std::is_same_v<Metric, prometheus::Histogram>) {
      return family_->Add(labels, buckets_);
    } else {
      return family_->Add(labels);
    }
  }

  const std::vector<std::string>& label_names() const { return label_names_; }

 private:
  prometheus::Family<Metric>* family_;
  std::vector<std::string> label_names_;
  prometheus::Histogram::BucketBoundaries buckets_;
};

using CounterFamily = LabeledFamily<prometheus::Counter>;
using GaugeFamily = LabeledFamily<prometheus::Gauge>;
using HistogramFamily = LabeledFamily<prometheus::Histogram>;

}  // namespace cmtp::observability

#endif  // CMTP_LIB_OBSERVABILITY_LABELED_FAMILY_H_
