#pragma once

// RAII owners for librdkafka's C handles. Every handle wachtpost creates is
// held by one of these, so no error path leaks a client, a configuration or a
// message.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace wachtpost {

// A client's own error reports, for commands that talk to a cluster once.
// rd_kafka_metadata only says "timed out" or "transport failure"; the
// operator needs the reason ("Connection refused", "SASL authentication
// failed"). Set as the error callback with this object as opaque; reports are
// queued for rd_kafka_poll, which the caller runs once a request failed.
class KafkaClientErrors {
 public:
  static void on_error(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
    auto* self = static_cast<KafkaClientErrors*>(opaque);
    const std::lock_guard lock(self->mutex_);
    // Keep the first specific reason; "1/1 brokers are down" only follows one.
    if (!self->first_.empty() && !self->generic_) return;
    self->first_ = reason;
    self->generic_ = err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN;
  }

  std::string first() {
    const std::lock_guard lock(mutex_);
    return first_;
  }

 private:
  std::mutex mutex_;
  std::string first_;
  bool generic_ = false;
};

struct KafkaClientDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct KafkaConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
struct KafkaMessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
struct KafkaPartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const { rd_kafka_topic_partition_list_destroy(list); }
};
struct KafkaErrorDeleter {
  void operator()(rd_kafka_error_t* error) const { rd_kafka_error_destroy(error); }
};
struct KafkaHeadersDeleter {
  void operator()(rd_kafka_headers_t* headers) const { rd_kafka_headers_destroy(headers); }
};
struct KafkaQueueDeleter {
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};
struct KafkaEventDeleter {
  void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
};
struct KafkaGroupMetadataDeleter {
  void operator()(rd_kafka_consumer_group_metadata_t* metadata) const {
    rd_kafka_consumer_group_metadata_destroy(metadata);
  }
};

using KafkaClient = std::unique_ptr<rd_kafka_t, KafkaClientDeleter>;
using KafkaConf = std::unique_ptr<rd_kafka_conf_t, KafkaConfDeleter>;
using KafkaMessage = std::unique_ptr<rd_kafka_message_t, KafkaMessageDeleter>;
using KafkaPartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, KafkaPartitionListDeleter>;
using KafkaError = std::unique_ptr<rd_kafka_error_t, KafkaErrorDeleter>;
using KafkaHeaders = std::unique_ptr<rd_kafka_headers_t, KafkaHeadersDeleter>;
using KafkaQueue = std::unique_ptr<rd_kafka_queue_t, KafkaQueueDeleter>;
using KafkaEvent = std::unique_ptr<rd_kafka_event_t, KafkaEventDeleter>;
using KafkaGroupMetadata = std::unique_ptr<rd_kafka_consumer_group_metadata_t, KafkaGroupMetadataDeleter>;

// Queues one message (value copied). On success the message owns `headers`;
// on failure they stay with the caller. Wraps rd_kafka_produceva because the
// RD_KAFKA_V_* macros are C casts.
inline rd_kafka_resp_err_t produce_copy(rd_kafka_t* producer, const char* topic, std::string_view key,
                                        std::string_view value, rd_kafka_headers_t* headers = nullptr) {
  rd_kafka_vu_t parts[5];
  std::size_t count = 0;
  parts[count].vtype = RD_KAFKA_VTYPE_TOPIC;
  parts[count++].u.cstr = topic;
  if (!key.empty()) {
    parts[count].vtype = RD_KAFKA_VTYPE_KEY;
    parts[count].u.mem.ptr = const_cast<char*>(key.data());
    parts[count++].u.mem.size = key.size();
  }
  parts[count].vtype = RD_KAFKA_VTYPE_VALUE;
  parts[count].u.mem.ptr = const_cast<char*>(value.data());
  parts[count++].u.mem.size = value.size();
  parts[count].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  parts[count++].u.i = RD_KAFKA_MSG_F_COPY;
  if (headers != nullptr) {
    parts[count].vtype = RD_KAFKA_VTYPE_HEADERS;
    parts[count++].u.headers = headers;
  }
  rd_kafka_error_t* error = rd_kafka_produceva(producer, parts, count);
  if (error == nullptr) return RD_KAFKA_RESP_ERR_NO_ERROR;
  const rd_kafka_resp_err_t code = rd_kafka_error_code(error);
  rd_kafka_error_destroy(error);
  return code;
}

}  // namespace wachtpost
