#include "services/relay/relay_stats.h"

#include <cstdio>
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/common/errors.h"
#include "services/relay/relay_keys.h"
#include "services/relay/relay_metrics.h"

namespace cmtp::relay {
namespace {

std::string_view FieldOf(Counter counter) {
  switch (counter) {
    case Counter::kDeliveryAttempts:
      return "delivery_attempts";
    case Counter::kDeliveries:
      return "deliveries";
    case Counter::kDeliveryFailures:
      return "delivery_failures";
    case Counter::kBounces:
      return "bounces";
    case Counter::kPinRefusals:
      return "pin_refusals";
    case Counter::kKeyFetches:
      return "key_fetches";
  }
  std::fprintf(stderr, "relay: unknown counter %d\n", static_cast<int>(counter));
  std::abort();
}

// One field per bucket, holding the deliveries that fell into it (not
// cumulative, so one HINCRBY per delivery); Read sums them up.
std::string BucketField(size_t index) { return absl::StrCat("latency_bucket_", index); }
constexpr std::string_view kLatencySumMs = "latency_sum_ms";

size_t BucketOf(int64_t latency_ms) {
  const double seconds = static_cast<double>(latency_ms) / 1000.0;
  for (size_t i = 0; i < kLatencyBucketSeconds.size(); ++i) {
    if (seconds <= kLatencyBucketSeconds[i]) return i;
  }
  return kLatencyBucketSeconds.size() - 1;
}

void LogCountingFailure(const absl::Status& status) {
  if (status.ok()) return;
  std::fprintf(stderr, "relay: could not count in %s: %s\n",
               std::string(keys::kStats).c_str(), std::string(status.message()).c_str());
}

uint64_t ToCount(const std::string& text) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || value < 0) return 0;
  return static_cast<uint64_t>(value);
}

}  // namespace

void RelayStats::Add(Counter counter, int64_t amount) const {
  if (metrics_ != nullptr) {
    // Attempts and failures are counted by outcome and reason where they
    // are known (QueueProcessor).
    for (int64_t i = 0; i < amount; ++i) {
      if (counter == Counter::kBounces) metrics_->Bounced();
      if (counter == Counter::kPinRefusals) metrics_->PinRefused();
      if (counter == Counter::kKeyFetches) metrics_->KeyFetched();
    }
  }
  const std::string by = std::to_string(amount);
  LogCountingFailure(
      redis_.Command({"HINCRBY", keys::kStats, FieldOf(counter), by}).status());
}

void RelayStats::Add(std::initializer_list<Counter> counters) const {
  std::vector<std::vector<std::string>> commands;
  for (Counter counter : counters) {
    if (metrics_ != nullptr) {
      if (counter == Counter::kBounces) metrics_->Bounced();
      if (counter == Counter::kPinRefusals) metrics_->PinRefused();
      if (counter == Counter::kKeyFetches) metrics_->KeyFetched();
    }
    commands.push_back(
        {"HINCRBY", std::string(keys::kStats), std::string(FieldOf(counter)), "1"});
  }
  std::vector<std::vector<std::string_view>> views;
  for (const std::vector<std::string>& command : commands) {
    views.emplace_back(command.begin(), command.end());
  }
  LogCountingFailure(redis_.Pipeline(views).status());
}

void RelayStats::RecordDelivery(int64_t latency_ms) const {
  if (latency_ms < 0) latency_ms = 0;  // clocks of two replicas disagree
  DeliveryCounted(latency_ms);
  std::vector<std::vector<std::string>> commands;
  for (const CounterIncrement& increment : DeliveryIncrements(latency_ms)) {
    if (increment.field == FieldOf(Counter::kDeliveryAttempts)) continue;
    commands.push_back({"HINCRBY", std::string(keys::kStats), increment.field,
                        std::to_string(increment.amount)});
  }
  std::vector<std::vector<std::string_view>> views;
  for (const std::vector<std::string>& command : commands) {
    views.emplace_back(command.begin(), command.end());
  }
  LogCountingFailure(redis_.Pipeline(views).status());
}

std::vector<CounterIncrement> RelayStats::DeliveryIncrements(int64_t latency_ms) const {
  if (latency_ms < 0) latency_ms = 0;  // clocks of two replicas disagree
  return {{std::string(FieldOf(Counter::kDeliveryAttempts)), 1},
          {std::string(FieldOf(Counter::kDeliveries)), 1},
          {BucketField(BucketOf(latency_ms)), 1},
          {std::string(kLatencySumMs), latency_ms}};
}

void RelayStats::DeliveryCounted(int64_t latency_ms) const {
  if (metrics_ != nullptr) {
    metrics_->Delivered(static_cast<double>(latency_ms < 0 ? 0 : latency_ms) / 1000.0);
  }
}

absl::StatusOr<StatsSnapshot> RelayStats::Read() const {
  absl::StatusOr<redis::Reply> reply = redis_.Command({"HGETALL", keys::kStats});
  if (!reply.ok()) return reply.status();
  if (reply->type != redis::Reply::Type::kArray || reply->elements.size() % 2 != 0) {
    return error::Internal("relay stats: unexpected redis reply to HGETALL");
  }
  std::map<std::string, std::string> fields;
  for (size_t i = 0; i < reply->elements.size(); i += 2) {
    fields[reply->elements[i].str] = reply->elements[i + 1].str;
  }
  auto count = [&fields](std::string_view field) {
    return ToCount(fields[std::string(field)]);
  };
  StatsSnapshot snapshot;
  snapshot.delivery_attempts = count(FieldOf(Counter::kDeliveryAttempts));
  snapshot.deliveries = count(FieldOf(Counter::kDeliveries));
  snapshot.delivery_failures = count(FieldOf(Counter::kDeliveryFailures));
  snapshot.bounces = count(FieldOf(Counter::kBounces));
  snapshot.pin_refusals = count(FieldOf(Counter::kPinRefusals));
  snapshot.key_fetches = count(FieldOf(Counter::kKeyFetches));
  uint64_t running = 0;
  for (size_t i = 0; i < kLatencyBucketSeconds.size(); ++i) {
    running += count(BucketField(i));
    snapshot.latency_cumulative[i] = running;
  }
  snapshot.latency_sum_seconds = static_cast<double>(count(kLatencySumMs)) / 1000.0;
  return snapshot;
}

}  // namespace cmtp::relay
