#include "runtime/alert_topic_reader.hpp"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <string>

#include "runtime/kafka_handles.hpp"

namespace wachtpost {

namespace {

void set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char reason[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), reason, sizeof reason) != RD_KAFKA_CONF_OK) {
    throw std::runtime_error("desk reader: librdkafka property '" + key + "': " + reason);
  }
}

}  // namespace

AlertTopicReader::AlertTopicReader(const RunConfig& config, std::shared_ptr<AlertFeed> feed,
                                   std::int64_t tail_per_partition) {
  KafkaConf conf(rd_kafka_conf_new());
  set(conf.get(), "bootstrap.servers", config.brokers);
  for (const auto& [key, value] : config.kafka) set(conf.get(), key, value);
  // Assigned, not subscribed: no group, nothing committed, every partition.
  set(conf.get(), "group.id", "wachtpost-desk-reader");
  set(conf.get(), "enable.auto.commit", "false");
  set(conf.get(), "enable.auto.offset.store", "false");
  set(conf.get(), "isolation.level", "read_committed");
  set(conf.get(), "fetch.wait.max.ms", "100");
  char reason[512];
  KafkaClient consumer(rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), reason, sizeof reason));
  if (!consumer) throw std::runtime_error(std::string("desk reader: ") + reason);
  static_cast<void>(conf.release());

  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_topic_t* topic = rd_kafka_topic_new(consumer.get(), config.alert_topic.c_str(), nullptr);
  const auto err = rd_kafka_metadata(consumer.get(), 0, topic, &metadata, 10000);
  rd_kafka_topic_destroy(topic);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR || metadata->topic_cnt != 1 || metadata->topics[0].err) {
    if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
    throw std::runtime_error("desk reader: no metadata for " + config.alert_topic);
  }
  KafkaPartitionList partitions(rd_kafka_topic_partition_list_new(metadata->topics[0].partition_cnt));
  for (int i = 0; i < metadata->topics[0].partition_cnt; ++i) {
    rd_kafka_topic_partition_list_add(partitions.get(), config.alert_topic.c_str(),
                                      metadata->topics[0].partitions[i].id)
        ->offset = RD_KAFKA_OFFSET_TAIL(tail_per_partition);
  }
  rd_kafka_metadata_destroy(metadata);
  if (const auto assign = rd_kafka_assign(consumer.get(), partitions.get())) {
    throw std::runtime_error(std::string("desk reader: assign: ") + rd_kafka_err2str(assign));
  }

  thread_ = std::thread([this, consumer = std::move(consumer), feed = std::move(feed)]() mutable {
    simdjson::ondemand::parser parser;
    simdjson::padded_string buffer;
    while (!stop_.load()) {
      KafkaMessage message(rd_kafka_consumer_poll(consumer.get(), 200));
      if (!message || message->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      const std::string_view json(static_cast<const char*>(message->payload), message->len);
      buffer = simdjson::padded_string(json);
      simdjson::ondemand::document alert;
      std::string_view alert_id;
      std::string_view rule;
      // Field order is the writer's (alert_id first, rule later): read in that order.
      if (parser.iterate(buffer).get(alert) != simdjson::SUCCESS ||
          alert["alert_id"].get_string().get(alert_id) != simdjson::SUCCESS) {
        continue;
      }
      const std::string id(alert_id);
      if (alert["rule"].get_string().get(rule) != simdjson::SUCCESS) continue;
      feed->publish_alert(id, rule, json);
    }
    rd_kafka_consumer_close(consumer.get());
  });
  spdlog::info("desk: following {} (last {} alerts of each partition)", config.alert_topic, tail_per_partition);
}

AlertTopicReader::~AlertTopicReader() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

}  // namespace wachtpost
