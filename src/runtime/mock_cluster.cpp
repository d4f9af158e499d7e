#include "runtime/mock_cluster.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace wachtpost {

namespace {

constexpr int kLogWarning = 4;  // librdkafka log levels are syslog levels

// The owner client exists only to host the mock brokers: it has no
// bootstrap.servers of its own, and its CONFWARN saying so would only confuse.
// Real warnings and errors of the mock brokers still reach the log.
void owner_log(const rd_kafka_t* /*rk*/, int level, const char* facility, const char* message) {
  if (level > kLogWarning || std::strcmp(facility, "CONFWARN") == 0) return;
  spdlog::warn("mock cluster: {}: {}", facility, message);
}

void check(rd_kafka_resp_err_t err, const std::string& what) {
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw std::runtime_error("mock cluster: " + what + ": " + rd_kafka_err2str(err));
  }
}

}  // namespace

MockCluster::MockCluster(int brokers) : brokers_(brokers) {
  if (brokers < 1) throw std::invalid_argument("mock cluster: needs at least one broker");
  KafkaConf conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), &owner_log);
  char reason[512];
  rd_kafka_t* owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), reason, sizeof reason);
  if (owner == nullptr) throw std::runtime_error(std::string("mock cluster: ") + reason);
  static_cast<void>(conf.release());  // rd_kafka_new owns it now
  owner_.reset(owner);
  cluster_ = rd_kafka_mock_cluster_new(owner_.get(), brokers);
  if (cluster_ == nullptr) throw std::runtime_error("mock cluster: cannot start (no free loopback ports?)");
  bootstrap_servers_ = rd_kafka_mock_cluster_bootstraps(cluster_);
}

MockCluster::~MockCluster() {
  // The cluster before the client whose threads it runs on (owner_ is a
  // member and is destroyed after this body).
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
}

void MockCluster::create_topic(const std::string& name, int partitions, int replication_factor) {
  if (partitions < 1 || replication_factor < 1) {
    throw std::invalid_argument("mock cluster: topic " + name + " needs at least one partition and one replica");
  }
  check(rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, std::min(replication_factor, brokers_)),
        "create topic " + name);
}

void MockCluster::create_topics(const std::vector<TopicDefinition>& topics) {
  for (const auto& topic : topics) create_topic(topic.name, topic.partitions, topic.replication_factor);
}

void MockCluster::set_broker_down(std::int32_t id) {
  check(rd_kafka_mock_broker_set_down(cluster_, id), "broker " + std::to_string(id) + " down");
}

void MockCluster::set_broker_up(std::int32_t id) {
  check(rd_kafka_mock_broker_set_up(cluster_, id), "broker " + std::to_string(id) + " up");
}

void MockCluster::set_broker_rtt(std::int32_t id, int rtt_ms) {
  check(rd_kafka_mock_broker_set_rtt(cluster_, id, rtt_ms), "broker " + std::to_string(id) + " rtt");
}

void MockCluster::push_request_errors(std::int16_t api_key, const std::vector<rd_kafka_resp_err_t>& errors) {
  rd_kafka_mock_push_request_errors_array(cluster_, api_key, errors.size(), errors.data());
}

}  // namespace wachtpost
