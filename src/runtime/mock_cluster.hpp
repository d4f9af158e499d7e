#pragma once
// librdkafka's mock cluster: a real Kafka wire protocol implementation on
// loopback TCP, reachable by other processes (kcat, other wachtpost
// instances), with fault injection. Used by the demo and the integration
// tests; production runs against a real cluster.
//
// Its limits, seen in librdkafka 2.0.2: it keeps a few MB per partition,
// implements no CreateTopics (topics are created here, directly) and no
// DescribeConfigs (its Metadata names broker 0, which does not exist, as the
// controller, so admin requests wait for a controller until they time out),
// keeps no topic configuration, and does not
// honour transactions: aborted records stay visible to read_committed readers
// and transactional offset commits are acknowledged but not stored.

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/kafka_handles.hpp"
#include "runtime/topic_plan.hpp"

namespace wachtpost {

// Kafka protocol API keys, for push_request_errors (librdkafka keeps its own
// enum private).
namespace kafka_api {
inline constexpr std::int16_t kProduce = 0;
inline constexpr std::int16_t kFetch = 1;
inline constexpr std::int16_t kOffsetCommit = 8;
inline constexpr std::int16_t kOffsetFetch = 9;
inline constexpr std::int16_t kFindCoordinator = 10;
inline constexpr std::int16_t kHeartbeat = 12;
inline constexpr std::int16_t kInitProducerId = 22;
inline constexpr std::int16_t kAddPartitionsToTxn = 24;
inline constexpr std::int16_t kAddOffsetsToTxn = 25;
inline constexpr std::int16_t kEndTxn = 26;
inline constexpr std::int16_t kTxnOffsetCommit = 28;
}  // namespace kafka_api

class MockCluster {
 public:
  // Starts `brokers` brokers (at least 1) listening on 127.0.0.1, random ports.
  explicit MockCluster(int brokers = 3);
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  // "127.0.0.1:port,..." for any client, in this process or another.
  [[nodiscard]] const std::string& bootstrap_servers() const { return bootstrap_servers_; }
  [[nodiscard]] int broker_count() const { return brokers_; }

  // Throws std::runtime_error when the topic exists already. Replication is
  // capped at the broker count, so a one-broker mock still takes the
  // three-replica topics of topics.yaml. (The 2.0.2 mock ignores the factor
  // anyway: every partition gets min(3, brokers) replicas.)
  void create_topic(const std::string& name, int partitions, int replication_factor);
  // Each definition's partitions and replication; its config is not applied
  // (the mock keeps no topic configuration).
  void create_topics(const std::vector<TopicDefinition>& topics);

  // Broker ids are 1..broker_count(). A broker that is down refuses
  // connections; the mock moves no partition leaders away from it.
  void set_broker_down(std::int32_t id);
  void set_broker_up(std::int32_t id);
  void set_broker_rtt(std::int32_t id, int rtt_ms);
  // The next requests of `api_key` (kafka_api::kProduce, ...) fail with these errors, in order.
  void push_request_errors(std::int16_t api_key, const std::vector<rd_kafka_resp_err_t>& errors);

  [[nodiscard]] rd_kafka_mock_cluster_t* handle() const { return cluster_; }

 private:
  int brokers_;
  KafkaClient owner_;  // the mock cluster lives in this client's threads
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstrap_servers_;
};

}  // namespace wachtpost
