#pragma once
// Prometheus metrics of the pipeline (prometheus-cpp), all named wachtpost_*.
//
// Aggregates only, as the brief asks: by category, severity, target role,
// language, rule, reason, partition. No label ever holds an author, a post id
// or any other unbounded value: rule ids come from the loaded set, languages
// outside it count as "other", reasons and dispositions are fixed lists.
//
// Workers never touch a shared metric while they scan: each keeps a
// WorkerTally, and the loop thread folds the tallies in once per batch.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace wachtpost {

// Upper bounds of the scan-time buckets, in seconds.
inline constexpr std::array<double, 12> kScanBuckets = {1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5,
                                                        1e-4, 2.5e-4, 5e-4, 1e-3, 1e-2,   1e-1};

// What one worker counted during one batch; plain numbers, no locks.
struct WorkerTally {
  std::uint64_t posts = 0;  // messages taken (accepted or not)
  std::uint64_t bytes = 0;
  std::uint64_t not_public = 0;
  std::array<std::uint64_t, 16> rejected{};                           // by RejectReason
  std::array<std::uint64_t, kScanBuckets.size() + 1> scan_buckets{};  // last: above the highest bound
  double scan_seconds = 0;

  void observe_scan(double seconds);
  void clear() { *this = WorkerTally{}; }
};

// The labels of one committed alert.
struct AlertLabels {
  std::string category;
  std::string severity;
  std::string role;  // first target's role, or "none"
  std::string lang;
  std::string rule;
};

inline constexpr std::string_view kDispositions[] = {"actioned", "false_positive", "duplicate"};
// What became of a pattern-set request (the reload counter's label values).
inline constexpr std::string_view kReloadResults[] = {"proposed", "approved",  "activated",
                                                      "refused",  "unchanged", "withdrawn"};

class PipelineMetrics {
 public:
  PipelineMetrics();

  [[nodiscard]] const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

  // The pattern set in use: its hash, rule count and load time; its rule ids
  // and languages bound the rule and lang labels.
  void set_pattern_set(std::string_view hash, const std::vector<std::string>& rule_ids,
                       const std::vector<std::string>& langs, double loaded_at_unix_seconds);

  void add(const WorkerTally& tally);  // loop thread, once per batch and worker
  void count_alert(const AlertLabels& alert, double latency_seconds);
  void count_dead_letter(std::string_view reason);
  void count_transaction() { transactions_->Increment(); }
  void count_rebalance() { rebalances_->Increment(); }
  void count_producer_error() { producer_errors_->Increment(); }
  void set_consumer_lag(std::int32_t partition, std::int64_t lag);
  void forget_partition(std::int32_t partition);
  void set_queue_depth(std::size_t messages) { queue_depth_->Set(static_cast<double>(messages)); }
  // From the desk: an officer's disposition of an alert of `rule`. False for
  // an unknown disposition (nothing is counted).
  bool count_disposition(std::string_view rule, std::string_view disposition);
  void set_desk_clients(std::size_t clients) { desk_clients_->Set(static_cast<double>(clients)); }

  // Reload health. `result`: proposed, approved, activated, refused,
  // unchanged or withdrawn. `build_seconds` (compile and gate) and
  // `rules_failed` (problems of a refused set) describe the last build.
  void count_reload(std::string_view result, double at_unix_seconds);
  void set_last_build(bool passed, double build_seconds, std::size_t rules_failed, double at_unix_seconds);
  void set_database_bytes(std::size_t bytes) { database_bytes_->Set(static_cast<double>(bytes)); }
  // A proposed set runs beside the live one (1) or not (0).
  void set_shadow_active(bool active) { shadow_active_->Set(active ? 1 : 0); }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter* consumed_ = nullptr;
  prometheus::Counter* bytes_ = nullptr;
  prometheus::Counter* not_public_ = nullptr;
  prometheus::Family<prometheus::Counter>* rejected_ = nullptr;
  prometheus::Family<prometheus::Counter>* dead_letters_ = nullptr;
  prometheus::Family<prometheus::Counter>* alerts_ = nullptr;
  prometheus::Family<prometheus::Counter>* rule_hits_ = nullptr;
  prometheus::Family<prometheus::Counter>* dispositions_ = nullptr;
  prometheus::Histogram* latency_ = nullptr;
  prometheus::Histogram* scan_ = nullptr;
  prometheus::Family<prometheus::Gauge>* lag_ = nullptr;
  prometheus::Gauge* queue_depth_ = nullptr;
  prometheus::Family<prometheus::Gauge>* set_info_ = nullptr;
  prometheus::Gauge* set_rules_ = nullptr;
  prometheus::Gauge* set_loaded_ = nullptr;
  prometheus::Counter* rebalances_ = nullptr;
  prometheus::Counter* producer_errors_ = nullptr;
  prometheus::Counter* transactions_ = nullptr;
  prometheus::Gauge* desk_clients_ = nullptr;
  prometheus::Family<prometheus::Counter>* reloads_ = nullptr;
  prometheus::Gauge* reload_last_ = nullptr;
  prometheus::Gauge* build_passed_ = nullptr;
  prometheus::Gauge* build_seconds_ = nullptr;
  prometheus::Gauge* build_rules_failed_ = nullptr;
  prometheus::Gauge* database_bytes_ = nullptr;
  prometheus::Gauge* shadow_active_ = nullptr;

  std::mutex labels_mutex_;  // rule ids and languages may change on a reload
  std::set<std::string, std::less<>> rules_;
  std::set<std::string, std::less<>> langs_;
  prometheus::Gauge* current_set_info_ = nullptr;
};

}  // namespace wachtpost
