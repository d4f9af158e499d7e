#pragma once
// Topic definitions (topics/topics.yaml): the posts, alerts, dead-letter and
// shadow-alert topics with their partitions, replication and configuration;
// and the plan that compares them with a live cluster and creates what is
// missing.

#include <librdkafka/rdkafka.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wachtpost {

struct TopicDefinition {
  std::string role;  // posts, alerts, dead_letters, shadow_alerts
  std::string name;
  int partitions = 1;
  int replication_factor = 1;
  std::vector<std::pair<std::string, std::string>> config;  // in file order
  std::string where;                                        // file:line
};

// Throws std::runtime_error "file:line: reason"; posts, alerts and dead_letters
// are required, shadow_alerts is optional, each role at most once, with
// distinct legal topic names.
std::vector<TopicDefinition> load_topic_definitions(std::string_view yaml_text, std::string_view file_name);

// topics/topics.yaml as compiled into the binary.
std::vector<TopicDefinition> embedded_topic_definitions();

// The definitions in file `path`, or the embedded ones when `path` is empty.
// Throws std::runtime_error ("path: cannot read ..." or "path:line: reason").
std::vector<TopicDefinition> load_topic_definitions_file(const std::string& path);

// The definition of `role`, or nullptr.
const TopicDefinition* find_topic_role(const std::vector<TopicDefinition>& topics, std::string_view role);

// "partitions=6 replication=3 retention.ms=2592000000 cleanup.policy=delete ..."
std::string describe_definition(const TopicDefinition& topic);

// What one topic needs on a cluster.
struct TopicPlanStep {
  std::string topic;
  enum class Action {
    kCreate,    // missing: apply_topics creates it as defined
    kOk,        // exists with the defined partitions, replication and config
    kMismatch,  // exists but differs; reported, never changed automatically
  } action = Action::kOk;
  // kCreate: describe_definition(); kOk: what was checked (and what could not
  // be); kMismatch: each difference as "partitions 3 != 6" (cluster != definition).
  std::string detail;
  // apply_topics only: why creating the topic failed; empty when it did not.
  std::string error;
};

// Compares the definitions with the cluster `admin_client` is connected to:
// partitions and replication from Metadata, configuration from
// DescribeConfigs. When DescribeConfigs cannot be served (librdkafka's mock
// cluster names no usable controller) the configuration is reported as not
// checked in `detail` instead of failing. Read-only. Throws std::runtime_error
// when the cluster cannot be reached within `timeout_ms`.
std::vector<TopicPlanStep> plan_topics(rd_kafka_t* admin_client, const std::vector<TopicDefinition>& topics,
                                       int timeout_ms);

// plan_topics, then one CreateTopics request for every kCreate topic (with its
// config). Idempotent: existing topics are checked, never recreated or
// altered; a topic created by someone else in between is checked like any
// existing one. A topic that could not be created keeps kCreate with `error`
// set. Throws std::runtime_error when the cluster cannot be reached.
std::vector<TopicPlanStep> apply_topics(rd_kafka_t* admin_client, const std::vector<TopicDefinition>& topics,
                                        int timeout_ms);

}  // namespace wachtpost
