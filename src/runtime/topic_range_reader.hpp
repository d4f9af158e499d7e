#pragma once
// Reads the messages of a time range of a Kafka topic, once, for `wachtpost
// replay`: what the feed carried between two moments, from every partition,
// without joining a consumer group or committing anything, so a replay never
// moves the offsets of the running job.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/kafka_handles.hpp"

namespace wachtpost {

struct TopicRange {
  std::string brokers;  // bootstrap servers, host:port,...
  std::string topic;
  std::int64_t from_ms = 0;  // message timestamp, inclusive
  std::int64_t to_ms = 0;    // exclusive
  // Each cluster request, and the longest wait for the next message of a
  // partition that has more to give.
  std::chrono::milliseconds timeout{10000};
};

struct TopicMessage {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t timestamp_ms = 0;  // the message's timestamp (CreateTime or LogAppendTime)
  std::string_view value;         // valid during the sink call only
};

// One partition's plan, fixed when the reader is built.
struct PartitionSpan {
  std::int32_t partition = 0;
  std::int64_t start = 0;     // first offset read
  std::int64_t end = 0;       // first offset not read (the high watermark at the start, or before)
  bool by_timestamp = false;  // start came from a timestamp lookup; else the partition's beginning
};

class TopicRangeReader {
 public:
  // Connects, reads the topic's partitions and their watermarks and finds
  // where to start in each: the first offset at or after `from_ms`
  // (rd_kafka_offsets_for_times) where the brokers answer timestamp lookups,
  // else the partition's beginning (librdkafka's mock cluster answers none).
  // Each partition ends at its high watermark taken now, so the read is
  // bounded even while the topic grows; where timestamps can be looked up,
  // already at its first message stamped an hour past `to_ms`. Throws
  // std::runtime_error naming the topic, the brokers and the reason (unknown
  // topic, unreachable brokers).
  explicit TopicRangeReader(TopicRange range);
  ~TopicRangeReader();
  TopicRangeReader(const TopicRangeReader&) = delete;
  TopicRangeReader& operator=(const TopicRangeReader&) = delete;

  // Calls `sink` for every message with from_ms <= timestamp < to_ms, by
  // partition, then offset. Message timestamps are not monotonic within a
  // partition (CreateTime is the producer's clock), so each partition is read
  // to its planned end, not just up to the first message past `to_ms`. Returns the
  // number of messages read (in the range or not). Throws std::runtime_error
  // when a partition stops giving messages for longer than the timeout.
  std::uint64_t read(const std::function<void(const TopicMessage&)>& sink);

  [[nodiscard]] const std::vector<PartitionSpan>& plan() const { return plan_; }
  [[nodiscard]] const TopicRange& range() const { return range_; }

 private:

  [[noreturn]] void fail(const std::string& reason) const;
  void plan_partitions(const std::vector<std::int32_t>& partitions);
  void read_partition(const PartitionSpan& span, const std::function<void(const TopicMessage&)>& sink,
                      std::uint64_t& count);

  TopicRange range_;
  std::unique_ptr<KafkaClientErrors> errors_;  // outlives the client, which reports into it
  KafkaClient consumer_;
  std::vector<PartitionSpan> plan_;
};

}  // namespace wachtpost
