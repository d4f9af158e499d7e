#include "runtime/topic_range_reader.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>

namespace wachtpost {

namespace {

// How late a message may reach the topic after its own timestamp and still be
// replayed. Where the brokers answer timestamp lookups, a partition is read
// only up to its first message stamped `to + kLateArrivalMs` or later rather
// than to its end: a replay of last Tuesday does not read the whole week
// after it. Producers stamp CreateTime with their own clock, so a message
// written later can carry an earlier time; an hour covers retries and skewed
// clocks.
constexpr std::int64_t kLateArrivalMs = 60LL * 60 * 1000;

// A partition's messages are awaited in slices of this, so a stalled read is
// noticed within the timeout.
constexpr int kPollMs = 200;

struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* metadata) const { rd_kafka_metadata_destroy(metadata); }
};

// librdkafka prints its log lines on stderr in its own format; the errors that
// matter come through KafkaClientErrors; the rest goes to the debug log.
void client_log(const rd_kafka_t* /*rk*/, int /*level*/, const char* facility, const char* message) {
  spdlog::debug("librdkafka {}: {}", facility, message);
}

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  return a > std::numeric_limits<std::int64_t>::max() - b ? std::numeric_limits<std::int64_t>::max() : a + b;
}

int timeout_ms(std::chrono::milliseconds timeout) {
  return static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(timeout.count(), 1, 3600 * 1000));
}

}  // namespace

TopicRangeReader::TopicRangeReader(TopicRange range)
    : range_(std::move(range)), errors_(std::make_unique<KafkaClientErrors>()) {
  if (range_.to_ms <= range_.from_ms) fail("the end of the range must come after its start");
  KafkaConf conf(rd_kafka_conf_new());
  char reason[512];
  // Assigned, never subscribed: librdkafka's consumer API wants a group id,
  // but the reader joins no group and, with nothing stored or committed,
  // leaves no offsets behind.
  const std::pair<const char*, std::string> properties[] = {
      {"bootstrap.servers", range_.brokers},
      {"group.id", "wachtpost-replay"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"isolation.level", "read_committed"},
      // The end of a partition (or, read_committed, its last stable offset
      // under an open transaction) ends that partition's read.
      {"enable.partition.eof", "true"},
      // Retention may delete the first planned offsets before they are
      // fetched; what is left of the range is still worth replaying.
      {"auto.offset.reset", "earliest"},
      {"fetch.wait.max.ms", "100"},
  };
  for (const auto& [key, value] : properties) {
    if (rd_kafka_conf_set(conf.get(), key, value.c_str(), reason, sizeof reason) != RD_KAFKA_CONF_OK) {
      fail(std::string("librdkafka property '") + key + "': " + reason);
    }
  }
  rd_kafka_conf_set_opaque(conf.get(), errors_.get());
  rd_kafka_conf_set_error_cb(conf.get(), &KafkaClientErrors::on_error);
  rd_kafka_conf_set_log_cb(conf.get(), &client_log);
  consumer_.reset(rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), reason, sizeof reason));
  if (!consumer_) fail(std::string("cannot create a Kafka consumer: ") + reason);
  static_cast<void>(conf.release());  // rd_kafka_new owns it now
  // Error reports then arrive through rd_kafka_consumer_poll as well.
  rd_kafka_poll_set_consumer(consumer_.get());

  // Metadata of all topics rather than of this one: a request naming a
  // topic may create it (Metadata below v4 carries no "do not create", so
  // brokers with auto.create.topics.enable do; librdkafka's mock cluster
  // speaks only v0-v2 and always does), and a mistyped name must be an
  // error, not a new empty topic.
  const rd_kafka_metadata_t* raw_metadata = nullptr;
  const auto err = rd_kafka_metadata(consumer_.get(), 1, nullptr, &raw_metadata, timeout_ms(range_.timeout));
  const std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter> metadata(raw_metadata);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_poll(consumer_.get(), 0);  // serves the queued error reports to KafkaClientErrors
    std::string why = std::string("brokers not reachable: ") + rd_kafka_err2str(err);
    if (const std::string detail = errors_->first(); !detail.empty()) why += " (" + detail + ")";
    fail(why);
  }
  const rd_kafka_metadata_topic_t* const topics = metadata->topics;
  const rd_kafka_metadata_topic_t* const topics_end = topics + metadata->topic_cnt;
  const auto* const found = std::find_if(
      topics, topics_end, [&](const rd_kafka_metadata_topic_t& listed) { return range_.topic == listed.topic; });
  if (found == topics_end) fail("no such topic");
  const rd_kafka_metadata_topic_t& topic = *found;
  if (topic.err != RD_KAFKA_RESP_ERR_NO_ERROR) fail(rd_kafka_err2str(topic.err));
  if (topic.partition_cnt < 1) fail("the topic has no partitions");
  std::vector<std::int32_t> partitions;
  for (int i = 0; i < topic.partition_cnt; ++i) partitions.push_back(topic.partitions[i].id);
  std::sort(partitions.begin(), partitions.end());
  plan_partitions(partitions);
}

TopicRangeReader::~TopicRangeReader() {
  if (consumer_) rd_kafka_consumer_close(consumer_.get());
}

void TopicRangeReader::fail(const std::string& reason) const {
  throw std::runtime_error("topic " + range_.topic + " at " + range_.brokers + ": " + reason);
}

void TopicRangeReader::plan_partitions(const std::vector<std::int32_t>& partitions) {
  const char* topic = range_.topic.c_str();
  const int timeout = timeout_ms(range_.timeout);
  for (const std::int32_t partition : partitions) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    const auto err = rd_kafka_query_watermark_offsets(consumer_.get(), topic, partition, &low, &high, timeout);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      fail("partition " + std::to_string(partition) + ": no watermarks: " + rd_kafka_err2str(err));
    }
    plan_.push_back({.partition = partition, .start = low, .end = high});
  }

  // Asks the brokers, for every non-empty partition, for the first offset
  // stamped `timestamp` or later. nullopt when the request failed as a whole.
  using Lookup = std::vector<std::pair<rd_kafka_resp_err_t, std::int64_t>>;
  const auto look_up = [&](std::int64_t timestamp) -> std::optional<Lookup> {
    KafkaPartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(plan_.size())));
    for (const auto& span : plan_) {
      if (span.start >= span.end) continue;  // empty: nothing to look up
      rd_kafka_topic_partition_list_add(list.get(), topic, span.partition)->offset = timestamp;
    }
    if (list->cnt == 0) return Lookup(plan_.size(), {RD_KAFKA_RESP_ERR_NO_ERROR, -1});
    if (const auto err = rd_kafka_offsets_for_times(consumer_.get(), list.get(), timeout)) {
      spdlog::debug("{}: offsets for time {}: {}", range_.topic, timestamp, rd_kafka_err2str(err));
      return std::nullopt;
    }
    Lookup found;
    for (const auto& span : plan_) {
      const auto* entry = rd_kafka_topic_partition_list_find(list.get(), topic, span.partition);
      found.emplace_back(entry == nullptr ? RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION : entry->err,
                         entry == nullptr ? -1 : entry->offset);
    }
    return found;
  };

  const auto starts = look_up(range_.from_ms);
  // -1 means "nothing stamped that late" from a real broker, but librdkafka's
  // mock cluster answers -1 to every timestamp (its ListOffsets handler has no
  // timestamp index). Asking for time 0 tells the two apart: a broker that
  // looks timestamps up finds a non-empty partition's first message.
  std::optional<Lookup> probe;
  const bool unanswered = starts && std::any_of(starts->begin(), starts->end(), [](const auto& found) {
                            return found.first == RD_KAFKA_RESP_ERR_NO_ERROR && found.second < 0;
                          });
  if (unanswered) probe = look_up(0);
  for (std::size_t i = 0; i < plan_.size(); ++i) {
    PartitionSpan& span = plan_[i];
    if (span.start >= span.end || !starts) continue;
    const auto [err, offset] = (*starts)[i];
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;  // from the beginning, kept by timestamp
    if (offset >= 0) {
      span.start = std::clamp(offset, span.start, span.end);
      span.by_timestamp = true;
    } else if (probe && (*probe)[i].first == RD_KAFKA_RESP_ERR_NO_ERROR && (*probe)[i].second >= 0) {
      span.start = span.end;  // the broker looked: nothing in this partition is that recent
      span.by_timestamp = true;
    }
  }

  // Where the start was looked up, the end can be too (see kLateArrivalMs).
  if (std::none_of(plan_.begin(), plan_.end(),
                   [](const PartitionSpan& span) { return span.by_timestamp && span.start < span.end; })) {
    return;
  }
  const auto ends = look_up(saturating_add(range_.to_ms, kLateArrivalMs));
  if (!ends) return;
  for (std::size_t i = 0; i < plan_.size(); ++i) {
    PartitionSpan& span = plan_[i];
    const auto [err, offset] = (*ends)[i];
    if (span.by_timestamp && err == RD_KAFKA_RESP_ERR_NO_ERROR && offset >= 0) {
      span.end = std::clamp(offset, span.start, span.end);
    }
  }
}

std::uint64_t TopicRangeReader::read(const std::function<void(const TopicMessage&)>& sink) {
  std::uint64_t count = 0;
  // One partition at a time: the messages come in partition, then offset
  // order, and nothing but the current message is held.
  for (const auto& span : plan_) {
    if (span.start < span.end) read_partition(span, sink, count);
  }
  return count;
}

void TopicRangeReader::read_partition(const PartitionSpan& span, const std::function<void(const TopicMessage&)>& sink,
                                      std::uint64_t& count) {
  const std::string where = "partition " + std::to_string(span.partition);
  KafkaPartitionList assignment(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(assignment.get(), range_.topic.c_str(), span.partition)->offset = span.start;
  if (const auto err = rd_kafka_assign(consumer_.get(), assignment.get())) {
    fail(where + ": assign: " + rd_kafka_err2str(err));
  }
  std::int64_t next = span.start;
  std::string last_error;
  auto deadline = std::chrono::steady_clock::now() + range_.timeout;
  for (;;) {
    const KafkaMessage message(rd_kafka_consumer_poll(consumer_.get(), kPollMs));
    if (!message) {
      if (std::chrono::steady_clock::now() < deadline) continue;
      std::string why = where + ": nothing read for " + std::to_string(range_.timeout.count()) + " ms at offset " +
                        std::to_string(next) + " of " + std::to_string(span.end);
      if (const std::string detail = last_error.empty() ? errors_->first() : last_error; !detail.empty()) {
        why += " (" + detail + ")";
      }
      fail(why);
    }
    // A message of the partition read before can still be queued.
    const bool ours = message->rkt != nullptr && message->partition == span.partition;
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (ours) break;
      continue;
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      switch (message->err) {
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
        case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED: fail(where + ": " + rd_kafka_message_errstr(message.get()));
        default:
          // Broker and connection trouble passes (librdkafka retries); if
          // it does not, the deadline names it.
          last_error = rd_kafka_message_errstr(message.get());
          continue;
      }
    }
    if (!ours) continue;
    if (message->offset >= span.end) break;
    deadline = std::chrono::steady_clock::now() + range_.timeout;
    next = message->offset + 1;
    ++count;
    const std::int64_t timestamp = rd_kafka_message_timestamp(message.get(), nullptr);
    if (timestamp >= range_.from_ms && timestamp < range_.to_ms) {
      sink(TopicMessage{.partition = span.partition,
                        .offset = message->offset,
                        .timestamp_ms = timestamp,
                        .value = std::string_view(static_cast<const char*>(message->payload), message->len)});
    }
    if (next >= span.end) break;
  }
  // Stops fetching this partition before the next one is assigned.
  rd_kafka_assign(consumer_.get(), nullptr);
}

}  // namespace wachtpost
