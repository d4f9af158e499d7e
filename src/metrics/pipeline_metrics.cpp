#include "metrics/pipeline_metrics.hpp"

#include <algorithm>

#include "ingest/post.hpp"

namespace wachtpost {

void WorkerTally::observe_scan(double seconds) {
  const auto bucket = std::lower_bound(kScanBuckets.begin(), kScanBuckets.end(), seconds) - kScanBuckets.begin();
  ++scan_buckets[static_cast<std::size_t>(bucket)];
  scan_seconds += seconds;
}

namespace {

// End-to-end latency buckets (Kafka timestamp to alert committed), seconds.
const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                                 0.5,   1,    2.5,   5,    10,  30};

}  // namespace

PipelineMetrics::PipelineMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  using prometheus::BuildHistogram;
  auto& r = *registry_;
  consumed_ = &BuildCounter()
                   .Name("wachtpost_posts_consumed_total")
                   .Help("Messages taken from the input topic")
                   .Register(r)
                   .Add({});
  bytes_ =
      &BuildCounter().Name("wachtpost_consumed_bytes_total").Help("Bytes of the messages taken").Register(r).Add({});
  not_public_ = &BuildCounter()
                     .Name("wachtpost_posts_dropped_total")
                     .Help("Posts dropped before matching, by reason")
                     .Register(r)
                     .Add({{"reason", "not_public"}});
  rejected_ =
      &BuildCounter().Name("wachtpost_posts_rejected_total").Help("Messages refused as posts, by reason").Register(r);
  dead_letters_ =
      &BuildCounter().Name("wachtpost_dead_letters_total").Help("Dead letters committed, by reason").Register(r);
  alerts_ = &BuildCounter()
                 .Name("wachtpost_alerts_total")
                 .Help("Alerts committed, by category, severity, target role and language")
                 .Register(r);
  rule_hits_ = &BuildCounter().Name("wachtpost_rule_hits_total").Help("Alerts committed, by rule id").Register(r);
  dispositions_ = &BuildCounter()
                       .Name("wachtpost_alert_dispositions_total")
                       .Help("Officers' dispositions of alerts, by rule: a rule's precision")
                       .Register(r);
  latency_ = &BuildHistogram()
                  .Name("wachtpost_alert_latency_seconds")
                  .Help("Kafka message timestamp to alert committed")
                  .Register(r)
                  .Add({}, kLatencyBuckets);
  scan_ = &BuildHistogram()
               .Name("wachtpost_scan_duration_seconds")
               .Help("Normalise, scan and evaluate one post")
               .Register(r)
               .Add({}, prometheus::Histogram::BucketBoundaries(kScanBuckets.begin(), kScanBuckets.end()));
  lag_ = &BuildGauge().Name("wachtpost_consumer_lag").Help("Messages behind the end, by input partition").Register(r);
  queue_depth_ =
      &BuildGauge().Name("wachtpost_queue_depth").Help("Messages of the batch in flight").Register(r).Add({});
  set_info_ = &BuildGauge().Name("wachtpost_pattern_set_info").Help("The active pattern set (1), by hash").Register(r);
  set_rules_ =
      &BuildGauge().Name("wachtpost_pattern_set_rules").Help("Rules in the active pattern set").Register(r).Add({});
  set_loaded_ = &BuildGauge()
                     .Name("wachtpost_pattern_set_loaded_timestamp_seconds")
                     .Help("When the active pattern set was loaded (Unix time)")
                     .Register(r)
                     .Add({});
  rebalances_ =
      &BuildCounter().Name("wachtpost_rebalances_total").Help("Consumer group rebalances").Register(r).Add({});
  producer_errors_ = &BuildCounter()
                          .Name("wachtpost_producer_errors_total")
                          .Help("Failed deliveries and aborted transactions")
                          .Register(r)
                          .Add({});
  transactions_ = &BuildCounter().Name("wachtpost_transactions_total").Help("Batches committed").Register(r).Add({});
  desk_clients_ = &BuildGauge().Name("wachtpost_desk_clients").Help("Desk feeds connected").Register(r).Add({});
  reloads_ = &BuildCounter()
                  .Name("wachtpost_pattern_reloads_total")
                  .Help("Pattern-set proposals, approvals, activations and refusals, by result")
                  .Register(r);
  for (const std::string_view result : kReloadResults) reloads_->Add({{"result", std::string(result)}});
  reload_last_ = &BuildGauge()
                      .Name("wachtpost_pattern_reload_last_timestamp_seconds")
                      .Help("When the last reload request was decided (Unix time)")
                      .Register(r)
                      .Add({});
  build_passed_ = &BuildGauge()
                       .Name("wachtpost_pattern_build_passed")
                       .Help("Whether the last pattern set built passed the gate (1) or was refused (0)")
                       .Register(r)
                       .Add({});
  build_seconds_ = &BuildGauge()
                        .Name("wachtpost_pattern_build_seconds")
                        .Help("Compile and gate time of the last pattern set built")
                        .Register(r)
                        .Add({});
  build_rules_failed_ = &BuildGauge()
                             .Name("wachtpost_pattern_build_problems")
                             .Help("Problems (rules, examples, corpus) that refused the last set built")
                             .Register(r)
                             .Add({});
  database_bytes_ = &BuildGauge()
                         .Name("wachtpost_pattern_database_bytes")
                         .Help("Size of the live set's compiled Hyperscan database")
                         .Register(r)
                         .Add({});
  shadow_active_ = &BuildGauge()
                        .Name("wachtpost_shadow_active")
                        .Help("Whether a proposed pattern set runs beside the live one")
                        .Register(r)
                        .Add({});
  // Known label values start at zero, so dashboards and alert rules see
  // every series from the first scrape.
  for (std::uint8_t i = 0; i <= static_cast<std::uint8_t>(RejectReason::kDuplicateKey); ++i) {
    const std::string reason(reject_reason_name(static_cast<RejectReason>(i)));
    rejected_->Add({{"reason", reason}});
    dead_letters_->Add({{"reason", reason}});
  }
}

void PipelineMetrics::count_reload(std::string_view result, double at_unix_seconds) {
  reloads_->Add({{"result", std::string(result)}}).Increment();
  reload_last_->Set(at_unix_seconds);
}

void PipelineMetrics::set_last_build(bool passed, double build_seconds, std::size_t rules_failed,
                                     double at_unix_seconds) {
  build_passed_->Set(passed ? 1 : 0);
  build_seconds_->Set(build_seconds);
  build_rules_failed_->Set(static_cast<double>(rules_failed));
  reload_last_->Set(at_unix_seconds);
}

void PipelineMetrics::set_pattern_set(std::string_view hash, const std::vector<std::string>& rule_ids,
                                      const std::vector<std::string>& langs, double loaded_at_unix_seconds) {
  const std::lock_guard lock(labels_mutex_);
  rules_.clear();
  rules_.insert(rule_ids.begin(), rule_ids.end());
  langs_.clear();
  langs_.insert(langs.begin(), langs.end());
  if (current_set_info_ != nullptr) set_info_->Remove(current_set_info_);
  current_set_info_ = &set_info_->Add({{"hash", std::string(hash)}});
  current_set_info_->Set(1);
  set_rules_->Set(static_cast<double>(rule_ids.size()));
  for (const auto& rule : rules_) {
    for (const auto disposition : kDispositions) {
      dispositions_->Add({{"rule", rule}, {"disposition", std::string(disposition)}});
    }
  }
  set_loaded_->Set(loaded_at_unix_seconds);
}

void PipelineMetrics::add(const WorkerTally& tally) {
  if (tally.posts == 0) return;
  consumed_->Increment(static_cast<double>(tally.posts));
  bytes_->Increment(static_cast<double>(tally.bytes));
  if (tally.not_public > 0) not_public_->Increment(static_cast<double>(tally.not_public));
  for (std::uint8_t i = 0; i <= static_cast<std::uint8_t>(RejectReason::kDuplicateKey); ++i) {
    if (tally.rejected[i] == 0) continue;
    rejected_->Add({{"reason", std::string(reject_reason_name(static_cast<RejectReason>(i)))}})
        .Increment(static_cast<double>(tally.rejected[i]));
  }
  std::vector<double> buckets(tally.scan_buckets.begin(), tally.scan_buckets.end());
  if (std::any_of(buckets.begin(), buckets.end(), [](double b) { return b > 0; })) {
    scan_->ObserveMultiple(buckets, tally.scan_seconds);
  }
}

void PipelineMetrics::count_alert(const AlertLabels& alert, double latency_seconds) {
  std::string lang;
  std::string rule;
  {
    const std::lock_guard lock(labels_mutex_);
    lang = langs_.contains(alert.lang) ? alert.lang : "other";
    rule = rules_.contains(alert.rule) ? alert.rule : "other";
  }
  alerts_->Add({{"category", alert.category}, {"severity", alert.severity}, {"role", alert.role}, {"lang", lang}})
      .Increment();
  rule_hits_->Add({{"rule", rule}}).Increment();
  latency_->Observe(std::max(0.0, latency_seconds));
}

void PipelineMetrics::count_dead_letter(std::string_view reason) {
  dead_letters_->Add({{"reason", std::string(reason)}}).Increment();
}

void PipelineMetrics::set_consumer_lag(std::int32_t partition, std::int64_t lag) {
  lag_->Add({{"partition", std::to_string(partition)}}).Set(static_cast<double>(std::max<std::int64_t>(0, lag)));
}

void PipelineMetrics::forget_partition(std::int32_t partition) {
  lag_->Remove(&lag_->Add({{"partition", std::to_string(partition)}}));
}

bool PipelineMetrics::count_disposition(std::string_view rule, std::string_view disposition) {
  if (std::find(std::begin(kDispositions), std::end(kDispositions), disposition) == std::end(kDispositions)) {
    return false;
  }
  std::string known;
  {
    const std::lock_guard lock(labels_mutex_);
    known = rules_.contains(rule) ? std::string(rule) : "other";
  }
  dispositions_->Add({{"rule", known}, {"disposition", std::string(disposition)}}).Increment();
  return true;
}

}  // namespace wachtpost
