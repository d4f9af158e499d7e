#include "runtime/stream_processor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "alert/alert.hpp"
#include "ingest/post_parser.hpp"
#include "ingest/rfc3339.hpp"
#include "runtime/post_processor.hpp"
#include "runtime/worker_pool.hpp"

namespace wachtpost {

namespace {

constexpr int kClientTimeoutMs = 30000;
constexpr std::string_view kMetadataPrefix = "wp1 ";

std::string error_text(const rd_kafka_error_t* error) {
  return std::string(rd_kafka_error_name(error)) + ": " + rd_kafka_error_string(error);
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what);
}

void set_property(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char reason[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), reason, sizeof reason) != RD_KAFKA_CONF_OK) {
    fail("librdkafka property '" + key + "': " + reason);
  }
}

// wachtpost's defaults first, then the config file's properties, then the
// ones wachtpost manages, so the managed ones always win (validate_run_config
// refuses them anyway).
KafkaConf make_conf(const RunConfig& config, const KafkaProperties& role,
                    const std::vector<std::pair<std::string, std::string>>& managed,
                    const std::vector<std::pair<std::string, std::string>>& defaults = {}) {
  KafkaConf conf(rd_kafka_conf_new());
  set_property(conf.get(), "bootstrap.servers", config.brokers);
  for (const auto& [key, value] : defaults) set_property(conf.get(), key, value);
  for (const auto& [key, value] : config.kafka) set_property(conf.get(), key, value);
  for (const auto& [key, value] : role) set_property(conf.get(), key, value);
  for (const auto& [key, value] : managed) set_property(conf.get(), key, value);
  return conf;
}

KafkaClient make_client(rd_kafka_type_t type, KafkaConf conf) {
  char reason[512];
  rd_kafka_t* client = rd_kafka_new(type, conf.get(), reason, sizeof reason);
  if (client == nullptr) fail(std::string("cannot create Kafka client: ") + reason);
  static_cast<void>(conf.release());  // rd_kafka_new owns it now
  return KafkaClient(client);
}

std::string_view header(const rd_kafka_message_t* message, std::string_view name) {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  const void* value = nullptr;
  std::size_t size = 0;
  if (rd_kafka_header_get_last(headers, std::string(name).c_str(), &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      value == nullptr) {
    return {};
  }
  return {static_cast<const char*>(value), size};
}

std::int64_t to_int(std::string_view text, std::int64_t fallback = -1) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() ? value : fallback;
}

using OutputOffsets = std::map<std::string, std::map<std::int32_t, std::int64_t>, std::less<>>;

// "wp1 wachtpost.alerts=0:12,1:40;wachtpost.posts.dlq=0:3" (Kafka topic names
// hold no '=', ';', ',' or ':').
std::string format_offsets_metadata(const OutputOffsets& offsets) {
  std::string out(kMetadataPrefix);
  bool first_topic = true;
  for (const auto& [topic, partitions] : offsets) {
    out += (first_topic ? "" : ";") + topic + "=";
    first_topic = false;
    bool first = true;
    for (const auto& [partition, offset] : partitions) {
      out += (first ? "" : ",") + std::to_string(partition) + ":" + std::to_string(offset);
      first = false;
    }
  }
  return out;
}

OutputOffsets parse_offsets_metadata(std::string_view metadata) {
  OutputOffsets out;
  if (!metadata.starts_with(kMetadataPrefix)) return out;
  metadata.remove_prefix(kMetadataPrefix.size());
  while (!metadata.empty()) {
    const auto semicolon = metadata.find(';');
    std::string_view topic_part = metadata.substr(0, semicolon);
    metadata = semicolon == std::string_view::npos ? std::string_view{} : metadata.substr(semicolon + 1);
    const auto equals = topic_part.find('=');
    if (equals == std::string_view::npos) continue;
    auto& partitions = out[std::string(topic_part.substr(0, equals))];
    topic_part.remove_prefix(equals + 1);
    while (!topic_part.empty()) {
      const auto comma = topic_part.find(',');
      const std::string_view item = topic_part.substr(0, comma);
      topic_part = comma == std::string_view::npos ? std::string_view{} : topic_part.substr(comma + 1);
      const auto colon = item.find(':');
      if (colon == std::string_view::npos) continue;
      const auto partition = to_int(item.substr(0, colon));
      const auto offset = to_int(item.substr(colon + 1));
      if (partition >= 0 && offset >= 0) partitions[static_cast<std::int32_t>(partition)] = offset;
    }
  }
  return out;
}

void add_header(rd_kafka_headers_t* headers, std::string_view name, std::string_view value) {
  rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                      static_cast<ssize_t>(value.size()));
}

KafkaHeaders source_headers(const rd_kafka_message_t* message) {
  KafkaHeaders headers(rd_kafka_headers_new(6));
  add_header(headers.get(), kHeaderSourceTopic, rd_kafka_topic_name(message->rkt));
  add_header(headers.get(), kHeaderSourcePartition, std::to_string(message->partition));
  add_header(headers.get(), kHeaderSourceOffset, std::to_string(message->offset));
  return headers;
}

// An offset to commit, with the metadata the read-back starts from.
void add_offset(rd_kafka_topic_partition_list_t* list, const std::string& topic, std::int32_t partition,
                std::int64_t offset, std::string_view metadata) {
  auto* entry = rd_kafka_topic_partition_list_add(list, topic.c_str(), partition);
  entry->offset = offset;
  entry->metadata = std::malloc(metadata.size());  // freed with the list
  std::memcpy(entry->metadata, metadata.data(), metadata.size());
  entry->metadata_size = metadata.size();
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

namespace {

// Keyed by target: one person's (or role's) alerts stay in order.
std::string alert_key(const Alert& alert) {
  const AlertTarget* target = alert.targets.empty() ? nullptr : &alert.targets.front();
  return target == nullptr ? std::string("none") : target->id.empty() ? "role:" + target->role : "person:" + target->id;
}

}  // namespace

// What the workers produce for one input message.
struct StreamProcessor::Batch {
  struct Item {
    KafkaMessage message;
    std::string_view reject_reason;  // empty: the post was accepted
    std::string reject_detail;
    std::vector<std::string> alert_json;
    std::vector<std::string> alert_ids;
    std::vector<std::string> alert_keys;
    std::vector<AlertLabels> alert_labels;
    std::vector<std::string> alert_rules;
    // The proposed set's alerts, when one runs in shadow.
    std::vector<std::string> shadow_json;
    std::vector<std::string> shadow_ids;
    std::vector<std::string> shadow_keys;
    std::vector<std::string> shadow_rules;
  };
  static PostProcessorOptions processor_options(const StreamOptions& options) {
    PostProcessorOptions out;
    out.pseudonymizer = options.pseudonymizer;
    return out;
  }
  struct Worker {
    explicit Worker(const StreamOptions& options)
        : parser(ParseLimits{.max_document_bytes = options.config.max_post_bytes}),
          processor(processor_options(options)),
          shadow_processor(processor_options(options)) {}
    PostParser parser;
    PostProcessor processor;
    // The proposed set's own: a processor switching sets allocates Hyperscan
    // scratch for the new set each time (about 28 ms with the shipped set).
    PostProcessor shadow_processor;
    Post post;
    ParseFailure failure;
    std::vector<Alert> alerts;
    std::vector<Alert> shadow_alerts;
    WorkerTally tally;
  };

  explicit Batch(const StreamOptions& options, std::size_t workers) : pool(workers) {
    for (std::size_t i = 0; i < pool.size(); ++i) worker_state.push_back(std::make_unique<Worker>(options));
  }

  std::vector<Item> items;
  std::map<std::int32_t, std::int64_t> next_offsets;  // input partition -> last offset + 1
  std::shared_ptr<const PatternSet> shadow_set;       // the set run in shadow over this batch, if any
  std::uint64_t scanned = 0;                          // posts matched (by both sets, with a shadow)
  WorkerPool pool;
  std::vector<std::unique_ptr<Worker>> worker_state;
};

StreamProcessor::StreamProcessor(StreamOptions options)
    : options_(std::move(options)), pattern_set_(options_.pattern_set) {
  if (!options_.pattern_set) fail("no pattern set");
  // pattern_set_ holds the live set from here on; a copy kept in options_
  // would pin the first set in memory beside every set reloaded after it.
  options_.pattern_set.reset();
  unsigned workers = options_.config.workers;
  if (workers == 0) workers = std::max(1U, std::thread::hardware_concurrency());
  batch_ = std::make_unique<Batch>(options_, workers);
  batch_->items.reserve(options_.config.batch_max_messages);
}

StreamProcessor::~StreamProcessor() = default;

void StreamProcessor::create_clients() {
  const RunConfig& config = options_.config;
  KafkaConf consumer_conf = make_conf(config, config.consumer,
                                      {{"group.id", config.group},
                                       {"enable.auto.commit", "false"},
                                       {"enable.auto.offset.store", "false"},
                                       {"isolation.level", "read_committed"},
                                       {"partition.assignment.strategy", "cooperative-sticky"},
                                       {"auto.offset.reset", "earliest"},
                                       {"enable.partition.eof", "true"},
                                       // librdkafka's prefetch is the queue in front of the
                                       // batch: bounded, so a fast topic cannot fill memory.
                                       {"queued.min.messages", std::to_string(config.queue_max_messages)}});
  rd_kafka_conf_set_rebalance_cb(consumer_conf.get(), &StreamProcessor::rebalance_callback);
  rd_kafka_conf_set_opaque(consumer_conf.get(), this);
  consumer_ = make_client(RD_KAFKA_CONSUMER, std::move(consumer_conf));
  rd_kafka_poll_set_consumer(consumer_.get());

  // One transactional id per instance: a restarted instance fences the
  // transaction its predecessor left open.
  // A batch's transaction takes milliseconds; one stuck on a lost produce is
  // given up only at this timeout (Kafka Streams uses 10 s for exactly-once
  // too). It does not shorten the catch-up after a broker outage (soak).
  KafkaConf producer_conf = make_conf(
      config, config.producer,
      {{"transactional.id", config.transactional_id + "-" + options_.instance}, {"enable.idempotence", "true"}},
      {{"transaction.timeout.ms", "10000"}});
  rd_kafka_conf_set_dr_msg_cb(producer_conf.get(), &StreamProcessor::delivery_callback);
  rd_kafka_conf_set_opaque(producer_conf.get(), this);
  producer_ = make_client(RD_KAFKA_PRODUCER, std::move(producer_conf));
  if (KafkaError error{rd_kafka_init_transactions(producer_.get(), kClientTimeoutMs)}) {
    fail("cannot initialise transactions (transactional.id " + config.transactional_id + "-" + options_.instance +
         "): " + error_text(error.get()));
  }
}

void StreamProcessor::learn_output_partitions(const std::string& topic) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(producer_.get(), topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  const auto err = rd_kafka_metadata(producer_.get(), 0, handle, &metadata, kClientTimeoutMs);
  rd_kafka_topic_destroy(handle);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) fail("metadata of " + topic + ": " + rd_kafka_err2str(err));
  const std::unique_ptr<const rd_kafka_metadata_t, decltype(&rd_kafka_metadata_destroy)> owner(
      metadata, &rd_kafka_metadata_destroy);
  if (metadata->topic_cnt != 1 || metadata->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    fail("output topic " + topic + " does not exist (create it with `wachtpost topics apply`)");
  }
  for (int i = 0; i < metadata->topics[0].partition_cnt; ++i) {
    const std::int32_t partition = metadata->topics[0].partitions[i].id;
    std::int64_t low = 0;
    std::int64_t high = 0;
    const auto watermark_err =
        rd_kafka_query_watermark_offsets(producer_.get(), topic.c_str(), partition, &low, &high, kClientTimeoutMs);
    if (watermark_err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      fail("end offset of " + topic + "/" + std::to_string(partition) + ": " + rd_kafka_err2str(watermark_err));
    }
    output_end_offsets_[topic][partition] = high;
  }
}

void StreamProcessor::run() {
  create_clients();
  learn_output_partitions(options_.config.alert_topic);
  learn_output_partitions(options_.config.dlq_topic);
  KafkaPartitionList subscription(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(subscription.get(), options_.config.input_topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (const auto err = rd_kafka_subscribe(consumer_.get(), subscription.get())) {
    fail("cannot subscribe to " + options_.config.input_topic + ": " + rd_kafka_err2str(err));
  }
  spdlog::info("joined group '{}' on {} as instance '{}'", options_.config.group, options_.config.input_topic,
               options_.instance);

  while (!stop_requested_.load()) {
    store_first_commits();
    collect_batch();
    if (options_.metrics) options_.metrics->set_queue_depth(batch_->items.size());
    process_batch();
    commit_batch();
    update_lag();
    if (options_.config.exit_at_eof && all_partitions_at_end()) {
      spdlog::info("every assigned partition is at its end; stopping");
      break;
    }
    if (reached_stop_offsets()) break;
  }
  // Leaving the group revokes the assignment; the revoke handler commits
  // whatever is still in flight before the partitions are released.
  if (const auto err = rd_kafka_consumer_close(consumer_.get())) {
    spdlog::warn("leaving the group: {}", rd_kafka_err2str(err));
  }
  rd_kafka_flush(producer_.get(), kClientTimeoutMs);
  spdlog::info("stopped: {} messages, {} alerts, {} dead letters, {} transactions", counters_.messages.load(),
               counters_.alerts.load(), counters_.dead_letters.load(), counters_.transactions.load());
}

bool StreamProcessor::collect_batch() {
  const RunConfig& config = options_.config;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config.batch_max_ms);
  // A batch goes as soon as no post is queued for batch.linger_ms (group
  // commit): at a low rate each post waits only for its own commit, and under
  // load posts queue up while the previous batch commits, so batches grow
  // towards batch.max_messages by themselves.
  while (batch_->items.size() < config.batch_max_messages && !stop_requested_.load()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0 && !batch_->items.empty()) break;
    const long wait = batch_->items.empty() ? std::clamp<long>(left, 0, 100)
                                            : std::clamp<long>(std::min<long>(left, config.batch_linger_ms), 0, 100);
    KafkaMessage message(rd_kafka_consumer_poll(consumer_.get(), static_cast<int>(wait)));
    if (!message) {
      if (batch_->items.empty() && (left <= 0 || (config.exit_at_eof && all_partitions_at_end()))) return false;
      if (!batch_->items.empty()) break;  // nothing more queued: the batch goes now
      continue;
    }
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (auto it = partitions_.find(message->partition); it != partitions_.end()) it->second.at_end = true;
      continue;
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      char reason[512];
      if (rd_kafka_fatal_error(consumer_.get(), reason, sizeof reason) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fail(std::string("consumer: fatal error: ") + reason);
      }
      spdlog::warn("consumer: {}{}",
                   message->rkt != nullptr ? std::string(rd_kafka_topic_name(message->rkt)) + "/" +
                                                 std::to_string(message->partition) + ": "
                                           : std::string(),
                   rd_kafka_message_errstr(message.get()));
      continue;
    }
    if (auto it = partitions_.find(message->partition); it != partitions_.end()) it->second.at_end = false;
    batch_->next_offsets[message->partition] = message->offset + 1;
    batch_->items.emplace_back().message = std::move(message);
  }
  return !batch_->items.empty();
}

void StreamProcessor::process_batch() {
  auto& items = batch_->items;
  if (items.empty()) return;
  const std::string detected_at = format_rfc3339_ms(now_ms());
  const std::size_t chunk_size = std::max<std::size_t>(16, items.size() / (batch_->pool.size() * 4) + 1);
  const std::size_t chunks = (items.size() + chunk_size - 1) / chunk_size;
  const std::size_t max_post_bytes = options_.config.max_post_bytes;
  const std::shared_ptr<const PatternSet> set = pattern_set_.load();  // one set for the whole batch
  batch_->shadow_set = shadow_set_.load();
  const PatternSet* shadow = batch_->shadow_set.get();
  if (shadow != nullptr) check_shadow_topic();
  std::atomic<std::uint64_t> scanned{0};
  std::atomic<std::uint64_t> not_public{0};
  batch_->pool.run(chunks, [&](std::size_t chunk, std::size_t worker_index) {
    Batch::Worker& worker = *batch_->worker_state[worker_index];
    const std::size_t end = std::min(items.size(), (chunk + 1) * chunk_size);
    for (std::size_t i = chunk * chunk_size; i < end; ++i) {
      Batch::Item& item = items[i];
      const std::string_view payload(static_cast<const char*>(item.message->payload), item.message->len);
      ++worker.tally.posts;
      worker.tally.bytes += payload.size();
      if (payload.size() > max_post_bytes) {
        ++worker.tally.rejected[static_cast<std::size_t>(RejectReason::kTooLarge)];
        item.reject_reason = reject_reason_name(RejectReason::kTooLarge);
        item.reject_detail = "message of " + std::to_string(payload.size()) + " bytes exceeds the limit of " +
                             std::to_string(max_post_bytes);
        continue;
      }
      const ParseOutcome outcome = worker.parser.parse_copy(payload, worker.post, worker.failure);
      if (outcome == ParseOutcome::kBlank) {
        ++worker.tally.rejected[static_cast<std::size_t>(RejectReason::kNotJson)];
        item.reject_reason = reject_reason_name(RejectReason::kNotJson);
        item.reject_detail = "empty message";
        continue;
      }
      if (outcome == ParseOutcome::kRejected) {
        ++worker.tally.rejected[static_cast<std::size_t>(worker.failure.reason)];
        item.reject_reason = reject_reason_name(worker.failure.reason);
        item.reject_detail = worker.failure.detail;
        continue;
      }
      worker.alerts.clear();
      const auto started = std::chrono::steady_clock::now();
      if (worker.processor.process(set, worker.post, detected_at, worker.alerts) == PostVerdict::kDroppedNotPublic) {
        not_public.fetch_add(1, std::memory_order_relaxed);
        ++worker.tally.not_public;
        continue;
      }
      worker.tally.observe_scan(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      scanned.fetch_add(1, std::memory_order_relaxed);
      for (const Alert& alert : worker.alerts) {
        std::string json;
        append_alert_json(alert, json);
        item.alert_json.push_back(std::move(json));
        item.alert_ids.push_back(alert.alert_id);
        item.alert_rules.push_back(alert.rule);
        const AlertTarget* target = alert.targets.empty() ? nullptr : &alert.targets.front();
        item.alert_keys.push_back(alert_key(alert));
        if (options_.metrics) {
          item.alert_labels.push_back({alert.category, std::string(severity_name(alert.severity)),
                                       target == nullptr ? std::string("none") : target->role,
                                       std::string(worker.post.lang), alert.rule});
        }
      }
      if (shadow != nullptr) {
        worker.shadow_alerts.clear();
        worker.shadow_processor.process(batch_->shadow_set, worker.post, detected_at, worker.shadow_alerts);
        for (const Alert& alert : worker.shadow_alerts) {
          std::string json;
          append_alert_json(alert, json);
          item.shadow_json.push_back(std::move(json));
          item.shadow_ids.push_back(alert.alert_id);
          item.shadow_keys.push_back(alert_key(alert));
          item.shadow_rules.push_back(alert.rule);
        }
      }
    }
  });
  counters_.messages += items.size();
  batch_->scanned = scanned.load();
  counters_.posts_scanned += scanned.load();
  counters_.not_public += not_public.load();
  // Folded in by this (the loop) thread only: workers never wait on a metric.
  for (auto& worker : batch_->worker_state) {
    if (options_.metrics) options_.metrics->add(worker->tally);
    worker->tally.clear();
  }
}

void StreamProcessor::produce(const std::string& topic, std::string_view key, std::string_view value,
                              KafkaHeaders headers) {
  for (;;) {
    const auto err = produce_copy(producer_.get(), topic.c_str(), key, value, headers.get());
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      static_cast<void>(headers.release());  // the message owns them now
      return;
    }
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) fail("produce to " + topic + ": " + rd_kafka_err2str(err));
    rd_kafka_poll(producer_.get(), 100);  // the local queue is full: let deliveries drain it
  }
}

void StreamProcessor::produce_batch() {
  const RunConfig& config = options_.config;
  for (auto& item : batch_->items) {
    const rd_kafka_message_t* source = item.message.get();
    auto state = partitions_.find(source->partition);
    if (!item.reject_reason.empty()) {
      if (state != partitions_.end() && state->second.dead_letters_after_commit.contains(source->offset)) continue;
      KafkaHeaders headers = source_headers(source);
      add_header(headers.get(), kHeaderReason, item.reject_reason);
      add_header(headers.get(), kHeaderDetail, item.reject_detail);
      const std::string_view key(static_cast<const char*>(source->key), source->key_len);
      // An oversized message is kept up to the limit: enough to see what it
      // was without failing the dead-letter write itself.
      const std::size_t kept = std::min(source->len, config.max_post_bytes);
      produce(config.dlq_topic, key, std::string_view(static_cast<const char*>(source->payload), kept),
              std::move(headers));
      continue;
    }
    for (std::size_t i = 0; i < item.alert_json.size(); ++i) {
      if (state != partitions_.end() && state->second.alerts_after_commit.contains(item.alert_ids[i])) continue;
      KafkaHeaders headers = source_headers(source);
      add_header(headers.get(), kHeaderAlertId, item.alert_ids[i]);
      produce(config.alert_topic, item.alert_keys[i], item.alert_json[i], std::move(headers));
    }
    if (!shadow_topic_exists_) continue;
    for (std::size_t i = 0; i < item.shadow_json.size(); ++i) {
      KafkaHeaders headers = source_headers(source);
      add_header(headers.get(), kHeaderAlertId, item.shadow_ids[i]);
      produce(config.shadow_topic, item.shadow_keys[i], item.shadow_json[i], std::move(headers));
    }
  }
}

void StreamProcessor::commit_batch() {
  auto& items = batch_->items;
  if (items.empty()) return;
  KafkaPartitionList offsets(rd_kafka_topic_partition_list_new(static_cast<int>(batch_->next_offsets.size())));
  const std::string metadata = format_offsets_metadata(output_end_offsets_);
  for (const auto& [partition, next] : batch_->next_offsets) {
    add_offset(offsets.get(), options_.config.input_topic, partition, next, metadata);
  }
  KafkaGroupMetadata group(rd_kafka_consumer_group_metadata(consumer_.get()));

  for (int attempt = 0;; ++attempt) {
    if (attempt > 0) {
      ++counters_.transaction_retries;
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100 * attempt, 2000)));
    }
    if (KafkaError error{rd_kafka_begin_transaction(producer_.get())}) {
      fail("begin transaction: " + error_text(error.get()));
    }
    produce_batch();
    KafkaError error{
        rd_kafka_send_offsets_to_transaction(producer_.get(), offsets.get(), group.get(), kClientTimeoutMs)};
    while (error && rd_kafka_error_is_retriable(error.get())) {
      error.reset(rd_kafka_send_offsets_to_transaction(producer_.get(), offsets.get(), group.get(), kClientTimeoutMs));
    }
    if (!error) {
      error.reset(rd_kafka_commit_transaction(producer_.get(), kClientTimeoutMs));
      while (error && rd_kafka_error_is_retriable(error.get())) {
        error.reset(rd_kafka_commit_transaction(producer_.get(), kClientTimeoutMs));
      }
    }
    if (!error) break;
    if (!rd_kafka_error_txn_requires_abort(error.get())) fail("transaction: " + error_text(error.get()));
    spdlog::warn("transaction aborted, retrying the batch: {}", error_text(error.get()));
    if (options_.metrics) options_.metrics->count_producer_error();
    KafkaError abort_error{rd_kafka_abort_transaction(producer_.get(), kClientTimeoutMs)};
    while (abort_error && rd_kafka_error_is_retriable(abort_error.get())) {
      abort_error.reset(rd_kafka_abort_transaction(producer_.get(), kClientTimeoutMs));
    }
    if (abort_error) fail("abort transaction: " + error_text(abort_error.get()));
  }
  rd_kafka_poll(producer_.get(), 0);  // delivery reports: the alert topic's new end offsets

  // The same offsets once more outside the transaction. A real broker already
  // has them; brokers that ignore transactional offset commits (the mock
  // cluster) need this one, and the read-back covers the gap between the two.
  if (const auto err = rd_kafka_commit(consumer_.get(), offsets.get(), 0)) {
    spdlog::debug("offset commit after the transaction: {}", rd_kafka_err2str(err));
  }

  ++counters_.transactions;
  if (options_.metrics) options_.metrics->count_transaction();
  const std::int64_t committed_ms = now_ms();
  for (auto& item : items) {
    auto state = partitions_.find(item.message->partition);
    if (!item.reject_reason.empty()) {
      if (state != partitions_.end() && state->second.dead_letters_after_commit.erase(item.message->offset) > 0) {
        continue;  // written before a crash, committed now
      }
      ++counters_.dead_letters;
      if (options_.metrics) options_.metrics->count_dead_letter(item.reject_reason);
      spdlog::warn("{}/{} offset {}: dead letter ({}): {}", options_.config.input_topic, item.message->partition,
                   item.message->offset, item.reject_reason, item.reject_detail);
      continue;
    }
    for (std::size_t i = 0; i < item.alert_json.size(); ++i) {
      if (state != partitions_.end() && state->second.alerts_after_commit.erase(item.alert_ids[i]) > 0) {
        ++counters_.alerts_already_written;
        continue;
      }
      ++counters_.alerts;
      if (options_.metrics && i < item.alert_labels.size()) {
        rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
        const std::int64_t produced_ms = rd_kafka_message_timestamp(item.message.get(), &type);
        const double latency = produced_ms > 0 ? static_cast<double>(committed_ms - produced_ms) / 1000.0 : 0.0;
        options_.metrics->count_alert(item.alert_labels[i], latency);
      }
      if (options_.on_alert_committed) {
        options_.on_alert_committed(item.alert_json[i], item.alert_ids[i], item.alert_rules[i]);
      }
    }
  }
  for (const auto& [partition, next] : batch_->next_offsets) {
    if (auto it = partitions_.find(partition); it != partitions_.end()) it->second.committed = next;
  }
  if (batch_->shadow_set) {
    const std::lock_guard lock(shadow_mutex_);
    if (shadow_comparison_ && shadow_comparison_->shadow_hash == batch_->shadow_set->hash()) {
      shadow_comparison_->posts += batch_->scanned;
      for (const auto& item : items) {
        for (const auto& rule : item.alert_rules) ++shadow_comparison_->alerts_by_rule[rule].live;
        for (const auto& rule : item.shadow_rules) ++shadow_comparison_->alerts_by_rule[rule].shadow;
      }
    }
  }
  batch_->shadow_set.reset();
  items.clear();
  batch_->next_offsets.clear();
  if (options_.metrics) options_.metrics->set_queue_depth(0);
}

void StreamProcessor::set_shadow_pattern_set(std::shared_ptr<const PatternSet> set) {
  {
    const std::lock_guard lock(shadow_mutex_);
    if (set) {
      shadow_comparison_ =
          ShadowComparison{std::string(pattern_set_.load()->hash()), std::string(set->hash()), now_ms(), 0, {}};
    } else {
      shadow_comparison_.reset();
    }
  }
  shadow_set_.store(std::move(set));
}

std::optional<ShadowComparison> StreamProcessor::shadow_comparison() const {
  const std::lock_guard lock(shadow_mutex_);
  if (shadow_comparison_) {
    // The live set may have changed under the shadow run (another reload).
    auto copy = shadow_comparison_;
    copy->live_hash = std::string(pattern_set_.load()->hash());
    return copy;
  }
  return std::nullopt;
}

// Once per shadow set: without its topic the shadow run still counts, but a
// produce to a missing topic would fail every transaction.
void StreamProcessor::check_shadow_topic() {
  const std::string_view hash = batch_->shadow_set->hash();
  if (hash == shadow_topic_checked_) return;
  shadow_topic_checked_ = std::string(hash);
  const std::string& topic = options_.config.shadow_topic;
  shadow_topic_exists_ = false;
  if (topic.empty()) {
    spdlog::info("shadow run of {}: counted only (no shadow topic configured)", hash);
    return;
  }
  rd_kafka_topic_t* handle = rd_kafka_topic_new(producer_.get(), topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  const auto err = rd_kafka_metadata(producer_.get(), 0, handle, &metadata, kClientTimeoutMs);
  rd_kafka_topic_destroy(handle);
  const std::unique_ptr<const rd_kafka_metadata_t, decltype(&rd_kafka_metadata_destroy)> owner(
      metadata, &rd_kafka_metadata_destroy);
  shadow_topic_exists_ = err == RD_KAFKA_RESP_ERR_NO_ERROR && metadata != nullptr && metadata->topic_cnt == 1 &&
                         metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topics[0].partition_cnt > 0;
  if (shadow_topic_exists_) {
    spdlog::info("shadow run of {}: its alerts go to {}", hash, topic);
  } else {
    spdlog::error("shadow run of {}: topic {} does not exist (create it with `wachtpost topics apply`); counting only",
                  hash, topic);
  }
}

// Lag per assigned partition: the end the consumer last saw (no broker
// round trip) minus what this instance committed.
void StreamProcessor::update_lag() {
  if (!options_.metrics) return;
  for (const auto& [partition, state] : partitions_) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    if (rd_kafka_get_watermark_offsets(consumer_.get(), options_.config.input_topic.c_str(), partition, &low, &high) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        high < 0) {
      continue;
    }
    options_.metrics->set_consumer_lag(partition, high - (state.committed >= 0 ? state.committed : low));
  }
}

// A partition nobody ever committed gets a commit of its starting offset,
// with the current output positions, before any of it is processed. Until
// then it stays paused; a group in the middle of a rebalance refuses commits,
// so this is retried from the loop.
void StreamProcessor::store_first_commits() {
  if (std::none_of(partitions_.begin(), partitions_.end(),
                   [](const auto& p) { return p.second.awaiting_first_commit; })) {
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (now < next_first_commit_attempt_) return;
  next_first_commit_attempt_ = now + std::chrono::milliseconds(200);
  KafkaPartitionList offsets(rd_kafka_topic_partition_list_new(4));
  const std::string metadata = format_offsets_metadata(output_end_offsets_);
  const std::string& topic = options_.config.input_topic;
  for (const auto& [partition, state] : partitions_) {
    if (!state.awaiting_first_commit) continue;
    std::int64_t low = 0;
    std::int64_t high = 0;
    if (rd_kafka_query_watermark_offsets(consumer_.get(), topic.c_str(), partition, &low, &high, kClientTimeoutMs) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      continue;
    }
    add_offset(offsets.get(), topic, partition, low, metadata);
  }
  if (offsets->cnt == 0) return;
  if (const auto err = rd_kafka_commit(consumer_.get(), offsets.get(), 0)) {
    spdlog::info("first commit of {} partitions deferred: {}", offsets->cnt, rd_kafka_err2str(err));
    return;
  }
  for (int i = 0; i < offsets->cnt; ++i) {
    auto& state = partitions_[offsets->elems[i].partition];
    state.awaiting_first_commit = false;
    state.committed = offsets->elems[i].offset;
  }
  rd_kafka_resume_partitions(consumer_.get(), offsets.get());
}

void StreamProcessor::request_stop_at(std::map<std::int32_t, std::int64_t> end_offsets) {
  const std::lock_guard lock(stop_offsets_mutex_);
  stop_offsets_ = std::move(end_offsets);
}

bool StreamProcessor::reached_stop_offsets() {
  const std::lock_guard lock(stop_offsets_mutex_);
  if (!stop_offsets_ || !batch_->items.empty()) return false;
  for (const auto& [partition, end] : *stop_offsets_) {
    if (end <= 0) continue;
    const auto it = partitions_.find(partition);
    if (it == partitions_.end() || it->second.committed < end) return false;
  }
  return true;
}

bool StreamProcessor::all_partitions_at_end() const {
  if (partitions_.empty() || !batch_->items.empty()) return false;
  return std::all_of(partitions_.begin(), partitions_.end(), [](const auto& p) { return p.second.at_end; });
}

void StreamProcessor::rebalance_callback(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                         rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<StreamProcessor*>(opaque);
  ++self->counters_.rebalances;
  if (self->options_.metrics) self->options_.metrics->count_rebalance();
  try {
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      self->on_assign(partitions);
    } else {
      self->on_revoke(partitions, rd_kafka_assignment_lost(rk) != 0);
    }
  } catch (const std::exception& e) {
    // Cannot throw through librdkafka: stop, and let run() end.
    spdlog::error("rebalance: {}", e.what());
    self->request_stop();
  }
}

void StreamProcessor::delivery_callback(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message, void* opaque) {
  auto* self = static_cast<StreamProcessor*>(opaque);
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (self->options_.metrics) self->options_.metrics->count_producer_error();
    return;  // the transaction fails and is retried
  }
  const auto topic = self->output_end_offsets_.find(std::string_view(rd_kafka_topic_name(message->rkt)));
  if (topic == self->output_end_offsets_.end()) return;
  auto& end = topic->second[message->partition];
  end = std::max(end, message->offset + 1);
}

void StreamProcessor::on_assign(rd_kafka_topic_partition_list_t* partitions) {
  std::string names;
  for (int i = 0; i < partitions->cnt; ++i) {
    partitions_[partitions->elems[i].partition] = PartitionState{};
    names += (names.empty() ? "" : ",") + std::to_string(partitions->elems[i].partition);
  }
  read_back_output(partitions);
  if (KafkaError error{rd_kafka_incremental_assign(consumer_.get(), partitions)}) {
    fail("assign: " + error_text(error.get()));
  }
  KafkaPartitionList waiting(rd_kafka_topic_partition_list_new(partitions->cnt));
  for (int i = 0; i < partitions->cnt; ++i) {
    if (partitions_[partitions->elems[i].partition].awaiting_first_commit) {
      rd_kafka_topic_partition_list_add(waiting.get(), partitions->elems[i].topic, partitions->elems[i].partition);
    }
  }
  if (waiting->cnt > 0) {
    rd_kafka_pause_partitions(consumer_.get(), waiting.get());
    next_first_commit_attempt_ = {};
    store_first_commits();
  }
  spdlog::info("assigned {} partitions of {}: {}", partitions->cnt, options_.config.input_topic, names);
  if (options_.on_assignment) options_.on_assignment(!partitions_.empty());
}

void StreamProcessor::on_revoke(rd_kafka_topic_partition_list_t* partitions, bool lost) {
  if (lost) {
    // Someone else owns them already: whatever we hold for them is theirs to redo.
    std::set<std::int32_t> gone;
    for (int i = 0; i < partitions->cnt; ++i) gone.insert(partitions->elems[i].partition);
    std::erase_if(batch_->items, [&](const Batch::Item& item) { return gone.contains(item.message->partition); });
    for (const auto partition : gone) batch_->next_offsets.erase(partition);
    spdlog::warn("lost {} partitions; their uncommitted posts are left to the new owner", partitions->cnt);
  } else {
    // Finish and commit what we hold before the partitions go. Rebalances are
    // served inside consumer_poll, while a batch is being collected and
    // before it is processed, or on close, when the batch is empty.
    process_batch();
    commit_batch();
  }
  for (int i = 0; i < partitions->cnt; ++i) {
    partitions_.erase(partitions->elems[i].partition);
    if (options_.metrics) options_.metrics->forget_partition(partitions->elems[i].partition);
  }
  if (options_.on_assignment) options_.on_assignment(!partitions_.empty());
  if (KafkaError error{rd_kafka_incremental_unassign(consumer_.get(), partitions)}) {
    fail("unassign: " + error_text(error.get()));
  }
  spdlog::info("released {} partitions of {}", partitions->cnt, options_.config.input_topic);
}

void StreamProcessor::read_back_output(rd_kafka_topic_partition_list_t* partitions) {
  KafkaPartitionList committed(rd_kafka_topic_partition_list_copy(partitions));
  if (const auto err = rd_kafka_committed(consumer_.get(), committed.get(), kClientTimeoutMs)) {
    fail(std::string("committed offsets: ") + rd_kafka_err2str(err));
  }
  OutputOffsets start;  // output topic -> partition -> first offset to read
  for (int i = 0; i < committed->cnt; ++i) {
    const auto& entry = committed->elems[i];
    if (entry.offset < 0) {
      partitions_[entry.partition].awaiting_first_commit = true;
      continue;
    }
    if (entry.metadata == nullptr) continue;
    partitions_[entry.partition].committed = entry.offset;
    const auto positions =
        parse_offsets_metadata(std::string_view(static_cast<const char*>(entry.metadata), entry.metadata_size));
    for (const auto& [topic, offsets] : positions) {
      if (!output_end_offsets_.contains(topic)) continue;  // not one of ours (any more)
      for (const auto& [output_partition, offset] : offsets) {
        auto [it, inserted] = start[topic].emplace(output_partition, offset);
        if (!inserted) it->second = std::min(it->second, offset);
      }
    }
  }
  if (start.empty()) {
    spdlog::info("read-back: no committed output positions for the {} partitions assigned", partitions->cnt);
    return;
  }

  const RunConfig& config = options_.config;
  KafkaClient reader = make_client(RD_KAFKA_CONSUMER, make_conf(config, config.consumer,
                                                                {{"group.id", config.group + ".read-back"},
                                                                 {"enable.auto.commit", "false"},
                                                                 {"isolation.level", "read_committed"},
                                                                 {"enable.partition.eof", "true"}}));
  KafkaPartitionList assignment(rd_kafka_topic_partition_list_new(4));
  std::size_t open = 0;
  for (const auto& [topic, offsets] : start) {
    for (const auto& [partition, offset] : offsets) {
      std::int64_t low = 0;
      std::int64_t high = 0;
      if (rd_kafka_query_watermark_offsets(reader.get(), topic.c_str(), partition, &low, &high, kClientTimeoutMs) !=
              RD_KAFKA_RESP_ERR_NO_ERROR ||
          offset >= high) {
        continue;
      }
      rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), partition)->offset = offset;
      ++open;
    }
  }
  if (open == 0) {
    spdlog::info("read-back: nothing written after the committed output positions");
    return;
  }
  if (const auto err = rd_kafka_assign(reader.get(), assignment.get())) {
    fail(std::string("read-back assign: ") + rd_kafka_err2str(err));
  }
  std::size_t alerts = 0;
  std::size_t dead_letters = 0;
  std::set<std::pair<std::string, std::int32_t>> ended;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kClientTimeoutMs);
  while (open > 0) {
    if (std::chrono::steady_clock::now() > deadline) fail("read-back of the output topics timed out");
    KafkaMessage message(rd_kafka_consumer_poll(reader.get(), 200));
    if (!message) continue;
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // Once per partition: the other instances keep writing, and a partition
      // that reaches its end again after their writes must not count for one
      // not yet read to its end (which ended the read-back early, and the
      // alerts it had not reached were written twice).
      if (ended.emplace(rd_kafka_topic_name(message->rkt), message->partition).second) --open;
      continue;
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (header(message.get(), kHeaderSourceTopic) != config.input_topic) continue;
    const auto partition = to_int(header(message.get(), kHeaderSourcePartition));
    const auto it = partitions_.find(static_cast<std::int32_t>(partition));
    if (it == partitions_.end() || it->second.committed < 0) continue;
    const auto source_offset = to_int(header(message.get(), kHeaderSourceOffset));
    if (source_offset < it->second.committed) continue;
    if (rd_kafka_topic_name(message->rkt) == config.alert_topic) {
      it->second.alerts_after_commit.emplace(header(message.get(), kHeaderAlertId));
      ++alerts;
    } else {
      it->second.dead_letters_after_commit.insert(source_offset);
      ++dead_letters;
    }
  }
  rd_kafka_consumer_close(reader.get());
  std::string from;
  for (const auto& [topic, offsets] : start) {
    for (const auto& [partition, offset] : offsets) {
      from += (from.empty() ? "" : " ") + topic + "/" + std::to_string(partition) + "@" + std::to_string(offset);
    }
  }
  std::string committed_at;  // of the partitions just assigned, not every one held
  for (int i = 0; i < partitions->cnt; ++i) {
    const auto state = partitions_.find(partitions->elems[i].partition);
    if (state != partitions_.end() && state->second.committed >= 0) {
      committed_at += (committed_at.empty() ? "" : " ") + std::to_string(state->first) + "@" +
                      std::to_string(state->second.committed);
    }
  }
  // Says what a re-assigned partition resumes from: the evidence when an
  // output is written twice after a rebalance.
  spdlog::info(
      "read back {} alerts and {} dead letters written after the last commit ({}; output read from {}); "
      "not writing them again",
      alerts, dead_letters, committed_at, from);
}

}  // namespace wachtpost
