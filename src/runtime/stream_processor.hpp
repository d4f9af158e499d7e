#pragma once
// The Kafka job: a consumer-group member that turns posts into alerts with
// exactly-once output.
//
// One loop thread polls a batch (at most batch_max_messages or batch_max_ms),
// the worker pool parses and matches it in parallel, and the loop thread
// writes the batch's alerts and dead letters and its input offsets in one
// Kafka transaction. No new input is fetched while a batch is in flight, so
// memory is bounded by the batch whatever the input rate (backpressure).
//
// Exactly once, in two layers:
//  1. Transactions (KIP-98/447): alerts, dead letters and the input offsets
//     commit atomically; a reader with isolation.level=read_committed never
//     sees the output of an aborted or unfinished batch, and a restarted
//     instance with the same transactional id fences its predecessor.
//  2. Read-back of in-doubt output on assignment: each offset commit carries
//     the output topics' end offsets in its metadata; when a partition is
//     assigned, alerts and dead letters written for it after its last commit
//     are read back and not written again. With a real broker this finds nothing (aborted
//     output is invisible to read_committed). It matters where transactions
//     are not honoured, such as librdkafka's mock cluster, which keeps
//     aborted records visible and drops transactional offset commits.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "alert/pseudonym.hpp"
#include "match/pattern_set.hpp"
#include "metrics/pipeline_metrics.hpp"
#include "runtime/atomic_shared_ptr.hpp"
#include "runtime/kafka_handles.hpp"
#include "runtime/run_config.hpp"
#include "runtime/shadow_comparison.hpp"

namespace wachtpost {

struct StreamCounters {
  std::atomic<std::uint64_t> messages{0};
  std::atomic<std::uint64_t> posts_scanned{0};
  std::atomic<std::uint64_t> not_public{0};
  std::atomic<std::uint64_t> dead_letters{0};
  std::atomic<std::uint64_t> alerts{0};
  std::atomic<std::uint64_t> alerts_already_written{0};  // found by read-back, not written again
  std::atomic<std::uint64_t> transactions{0};
  std::atomic<std::uint64_t> transaction_retries{0};
  std::atomic<std::uint64_t> rebalances{0};
};

// Headers on every alert and dead letter: where the input came from. They
// carry no author data.
inline constexpr std::string_view kHeaderAlertId = "wachtpost.alert_id";
inline constexpr std::string_view kHeaderSourceTopic = "wachtpost.source.topic";
inline constexpr std::string_view kHeaderSourcePartition = "wachtpost.source.partition";
inline constexpr std::string_view kHeaderSourceOffset = "wachtpost.source.offset";
inline constexpr std::string_view kHeaderReason = "wachtpost.reason";
inline constexpr std::string_view kHeaderDetail = "wachtpost.detail";

struct StreamOptions {
  RunConfig config;
  std::string instance;  // stable per instance (pod name): part of the transactional id
  std::shared_ptr<const PatternSet> pattern_set;
  std::shared_ptr<const AuthorPseudonymizer> pseudonymizer;
  // Called on the loop thread with each alert's JSON once its transaction
  // committed (the demo prints them).
  std::function<void(std::string_view alert_json, std::string_view alert_id, std::string_view rule)> on_alert_committed;
  // Prometheus metrics; null: none kept.
  std::shared_ptr<PipelineMetrics> metrics;
  // Called from the loop thread whenever it has an assignment or loses it
  // (the readiness probe).
  std::function<void(bool assigned)> on_assignment;
};

class StreamProcessor {
 public:
  explicit StreamProcessor(StreamOptions options);
  ~StreamProcessor();
  StreamProcessor(const StreamProcessor&) = delete;
  StreamProcessor& operator=(const StreamProcessor&) = delete;

  // Runs until request_stop() or, with exit_at_eof, until every assigned
  // partition is at its end. Throws on fatal Kafka errors (fenced, broken
  // transactions) after leaving what can be left cleanly.
  void run();

  // Safe from any thread: finish the batch in flight, commit, leave the group.
  void request_stop() { stop_requested_.store(true); }

  // Safe from any thread: stop once every input partition in `end_offsets`
  // has been committed up to its offset (a feeder that knows where its input
  // ends uses this; exit_at_eof cannot tell a paused stream from its end).
  void request_stop_at(std::map<std::int32_t, std::int64_t> end_offsets);

  [[nodiscard]] const StreamCounters& counters() const { return counters_; }

  // Safe from any thread: the next batch is matched against `set`; the batch
  // in flight finishes on the set it started with.
  void swap_pattern_set(std::shared_ptr<const PatternSet> set) { pattern_set_.store(std::move(set)); }

  // Safe from any thread: from the next batch on, every scanned post is also
  // matched against `set` (a proposed set), whose alerts go to the shadow
  // topic (never to the desk or the alert topic) in the same transaction, and
  // both sets' alerts are counted per rule. Null stops it. The counts start
  // afresh with each new shadow set.
  void set_shadow_pattern_set(std::shared_ptr<const PatternSet> set);
  [[nodiscard]] std::optional<ShadowComparison> shadow_comparison() const;

 private:
  struct Batch;
  struct PartitionState {
    bool at_end = false;
    std::int64_t committed = -1;
    // Never committed by anyone: paused until a first commit (with output
    // positions) is stored, so the read-back always has a starting point.
    bool awaiting_first_commit = false;
    // Output read back for this partition: written after its last commit.
    std::set<std::string> alerts_after_commit;         // alert ids
    std::set<std::int64_t> dead_letters_after_commit;  // source offsets
  };

  static void rebalance_callback(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                                 void* opaque);
  static void delivery_callback(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);

  void create_clients();
  void learn_output_partitions(const std::string& topic);
  void on_assign(rd_kafka_topic_partition_list_t* partitions);
  void on_revoke(rd_kafka_topic_partition_list_t* partitions, bool lost);
  void read_back_output(rd_kafka_topic_partition_list_t* partitions);
  bool collect_batch();
  void process_batch();
  void commit_batch();
  void produce_batch();
  void check_shadow_topic();
  void produce(const std::string& topic, std::string_view key, std::string_view value, KafkaHeaders headers);
  bool all_partitions_at_end() const;
  bool reached_stop_offsets();
  void store_first_commits();
  void update_lag();

  StreamOptions options_;
  AtomicSharedPtr<const PatternSet> pattern_set_;
  AtomicSharedPtr<const PatternSet> shadow_set_;
  mutable std::mutex shadow_mutex_;
  std::optional<ShadowComparison> shadow_comparison_;
  std::string shadow_topic_checked_;  // the shadow hash whose topic was looked up (loop thread)
  bool shadow_topic_exists_ = false;
  std::atomic<bool> stop_requested_{false};
  StreamCounters counters_;
  KafkaClient consumer_;
  KafkaClient producer_;
  std::unique_ptr<Batch> batch_;
  std::map<std::int32_t, PartitionState> partitions_;  // assigned input partitions
  // Output topic -> partition -> a lower bound of the next offset written there.
  std::map<std::string, std::map<std::int32_t, std::int64_t>, std::less<>> output_end_offsets_;
  std::mutex stop_offsets_mutex_;
  std::optional<std::map<std::int32_t, std::int64_t>> stop_offsets_;
  std::chrono::steady_clock::time_point next_first_commit_attempt_{};
};

}  // namespace wachtpost
