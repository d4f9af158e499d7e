// Topic definitions (topics/topics.yaml), the mock cluster, the topic plan
// against it, `topics apply` and `wachtpost mock-cluster` as a process. All
// cluster traffic is real Kafka protocol over loopback TCP.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "cli/cli.hpp"
#include "cli/topics_command.hpp"
#include "runtime/kafka_test_support.hpp"
#include "runtime/mock_cluster.hpp"
#include "runtime/topic_plan.hpp"

using namespace wachtpost;
using wachtpost::testing::lines_of;
using wachtpost::testing::make_client;
using wachtpost::testing::PostProducer;
using wachtpost::testing::Process;
using wachtpost::testing::read_topic;
using wachtpost::testing::TempDir;

namespace {

const std::string kSource = WACHTPOST_SOURCE_DIR;
const std::string kBinary = WACHTPOST_BINARY;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string value_of(const TopicDefinition& topic, const std::string& key) {
  for (const auto& [name, value] : topic.config) {
    if (name == key) return value;
  }
  return "(unset)";
}

// The message of load_topic_definitions on `yaml`, or "" when it loads.
std::string load_error(const std::string& yaml) {
  try {
    load_topic_definitions(yaml, "t.yaml");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// A valid file with `posts_extra` appended to the posts topic's mapping.
std::string definitions(const std::string& posts_extra = "", const std::string& dlq_name = "d") {
  return "topics:\n"
         "  - role: posts\n"
         "    name: p\n"
         "    partitions: 12\n"
         "    replication_factor: 3\n" +
         posts_extra +
         "  - role: alerts\n"
         "    name: a\n"
         "    partitions: 6\n"
         "    replication_factor: 3\n"
         "  - role: dead_letters\n"
         "    name: " +
         dlq_name + "\n    partitions: 3\n    replication_factor: 3\n";
}

// Metadata of every topic as seen by a fresh client; empty on failure.
std::map<std::string, std::pair<int, int>> topics_on(const std::string& bootstrap, int timeout_ms = 5000) {
  KafkaClient client = make_client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}, {"log_level", "0"}});
  const rd_kafka_metadata_t* metadata = nullptr;
  std::map<std::string, std::pair<int, int>> out;
  if (rd_kafka_metadata(client.get(), 1, nullptr, &metadata, timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    const auto& topic = metadata->topics[i];
    out[topic.topic] = {topic.partition_cnt, topic.partition_cnt > 0 ? topic.partitions[0].replica_cnt : 0};
  }
  rd_kafka_metadata_destroy(metadata);
  return out;
}

KafkaClient admin_client(const std::string& bootstrap) {
  return make_client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}});
}

const TopicPlanStep& step_for(const std::vector<TopicPlanStep>& steps, const std::string& topic) {
  for (const auto& step : steps) {
    if (step.topic == topic) return step;
  }
  throw std::runtime_error("no plan step for " + topic);
}

}  // namespace

// ---- definitions ------------------------------------------------------------

TEST(TopicDefinitions, EmbeddedCopyEqualsTheFile) {
  const auto embedded = embedded_topic_definitions();
  const auto file = load_topic_definitions_file(kSource + "/topics/topics.yaml");
  ASSERT_EQ(embedded.size(), file.size());
  for (std::size_t i = 0; i < embedded.size(); ++i) {
    EXPECT_EQ(embedded[i].role, file[i].role);
    EXPECT_EQ(embedded[i].name, file[i].name);
    EXPECT_EQ(embedded[i].partitions, file[i].partitions);
    EXPECT_EQ(embedded[i].replication_factor, file[i].replication_factor);
    EXPECT_EQ(embedded[i].config, file[i].config);
    // Same line, different file name.
    EXPECT_EQ(embedded[i].where.substr(embedded[i].where.rfind(':')), file[i].where.substr(file[i].where.rfind(':')));
  }
}

TEST(TopicDefinitions, ShippedValues) {
  const auto topics = embedded_topic_definitions();
  const TopicDefinition* posts = find_topic_role(topics, "posts");
  const TopicDefinition* alerts = find_topic_role(topics, "alerts");
  const TopicDefinition* dead_letters = find_topic_role(topics, "dead_letters");
  const TopicDefinition* shadow = find_topic_role(topics, "shadow_alerts");
  ASSERT_NE(posts, nullptr);
  ASSERT_NE(alerts, nullptr);
  ASSERT_NE(dead_letters, nullptr);
  ASSERT_NE(shadow, nullptr);
  EXPECT_EQ(topics.size(), 4U);

  EXPECT_EQ(posts->name, "wachtpost.posts");
  EXPECT_EQ(posts->partitions, 12);
  EXPECT_EQ(posts->replication_factor, 3);
  EXPECT_EQ(value_of(*posts, "retention.ms"), "604800000");  // 7 days
  EXPECT_EQ(value_of(*posts, "compression.type"), "zstd");

  EXPECT_EQ(alerts->name, "wachtpost.alerts");
  EXPECT_EQ(alerts->partitions, 6);
  EXPECT_EQ(alerts->replication_factor, 3);
  EXPECT_EQ(value_of(*alerts, "retention.ms"), "2592000000");  // 30 days
  EXPECT_EQ(value_of(*alerts, "cleanup.policy"), "delete");
  EXPECT_EQ(value_of(*alerts, "min.insync.replicas"), "2");

  EXPECT_EQ(dead_letters->name, "wachtpost.posts.dlq");
  EXPECT_EQ(dead_letters->partitions, 3);
  EXPECT_EQ(value_of(*dead_letters, "retention.ms"), "1209600000");  // 14 days

  // The default of topics.shadow_alerts in `wachtpost run`.
  EXPECT_EQ(shadow->name, "wachtpost.alerts.shadow");
  EXPECT_EQ(shadow->partitions, 6);
  EXPECT_EQ(describe_definition(*shadow),
            "partitions=6 replication=3 retention.ms=604800000 cleanup.policy=delete compression.type=zstd "
            "min.insync.replicas=2");  // 7 days

  EXPECT_TRUE(contains(posts->where, "topics/topics.yaml:")) << posts->where;
  EXPECT_EQ(describe_definition(*dead_letters),
            "partitions=3 replication=3 retention.ms=1209600000 cleanup.policy=delete compression.type=zstd "
            "min.insync.replicas=2");
}

TEST(TopicDefinitions, BadDefinitionsNameFileAndLine) {
  EXPECT_EQ(load_error(definitions()), "");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"topics: [", "t.yaml:1: invalid YAML"},
      {"- a\n- b\n", "t.yaml:1: expected a mapping with a 'topics' list"},
      {definitions("    partitions_typo: 3\n"), "t.yaml:6: unknown key 'partitions_typo'"},
      {definitions("    config:\n      retention.ms: 7d\n"), "t.yaml:7: setting 'retention.ms' must be a whole number"},
      {definitions("    config:\n      min.insync.replicas: \"4\"\n"),
       "t.yaml:7: min.insync.replicas must be between 1 and replication_factor (3)"},
      {definitions("    config:\n      a.b: x\n      a.b: y\n"), "t.yaml:8: setting 'a.b' given twice"},
      {definitions("    config:\n      nested: {x: 1}\n"), "t.yaml:7: setting 'nested' must be a single value"},
      {definitions("    config: [1]\n"), "t.yaml:6: 'config' must be a mapping"},
      {definitions("", "p"), "t.yaml:10: topic 'p' used for two roles"},
      {definitions("", "wacht post"), "t.yaml:10: 'wacht post' is not a legal topic name"},
      {"topics:\n  - role: posts\n    name: p\n    partitions: twelve\n", "t.yaml:4: wrong type for 'partitions'"},
      {"topics:\n  - role: posts\n    name: p\n    partitions: 0\n", "t.yaml:2: partitions must be at least 1"},
      {"topics:\n  - role: posts\n    name: p\n  - role: posts\n    name: q\n",
       "t.yaml:4: a second topic for role 'posts'"},
      {"topics:\n  - role: inbox\n    name: p\n",
       "t.yaml:2: role must be posts, alerts, dead_letters or shadow_alerts"},
      {definitions() + "  - role: shadow_alerts\n    name: a\n", "t.yaml:14: topic 'a' used for two roles"},
      {definitions() + "  - role: shadow_alerts\n    name: s\n  - role: shadow_alerts\n    name: t\n",
       "t.yaml:16: a second topic for role 'shadow_alerts'"},
      {"topics:\n  - role: posts\n", "t.yaml:2: missing 'name'"},
      {"topics:\n  - role: posts\n    name: p\n  - role: alerts\n    name: a\n",
       "t.yaml:1: no topic for role 'dead_letters'"},
      {"topics: []\nextra: 1\n", "t.yaml:2: unknown key"},
  };
  for (const auto& [yaml, expected] : cases) {
    const std::string message = load_error(yaml);
    EXPECT_EQ(message.rfind(expected, 0), 0U) << "got: " << message << "\nwanted: " << expected << "\nfor:\n" << yaml;
  }
}

TEST(TopicDefinitions, UnreadableFileIsNamed) {
  try {
    load_topic_definitions_file("/nonexistent/topics.yaml");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), "/nonexistent/topics.yaml: cannot read")) << e.what();
  }
}

// ---- mock cluster -----------------------------------------------------------

TEST(MockClusterTest, ProducedMessageCanBeConsumedOverTcp) {
  MockCluster cluster(3);
  cluster.create_topic("roundtrip", 3, 3);
  ASSERT_TRUE(contains(cluster.bootstrap_servers(), "127.0.0.1:"));
  {
    PostProducer producer(cluster.bootstrap_servers());
    producer.send("roundtrip", "k1", "hello over tcp");
    producer.flush();
  }
  const auto records = read_topic(cluster.bootstrap_servers(), "roundtrip", 3);
  ASSERT_EQ(records.size(), 1U);
  EXPECT_EQ(records[0].key, "k1");
  EXPECT_EQ(records[0].value, "hello over tcp");
}

TEST(MockClusterTest, CreateTopicsCapsReplicationAtTheBrokerCount) {
  MockCluster cluster(1);
  cluster.create_topics(embedded_topic_definitions());
  const auto topics = topics_on(cluster.bootstrap_servers());
  ASSERT_TRUE(topics.contains("wachtpost.posts"));
  EXPECT_EQ(topics.at("wachtpost.posts"), std::make_pair(12, 1));
  EXPECT_EQ(topics.at("wachtpost.alerts"), std::make_pair(6, 1));
  EXPECT_EQ(topics.at("wachtpost.posts.dlq"), std::make_pair(3, 1));
  EXPECT_EQ(topics.at("wachtpost.alerts.shadow"), std::make_pair(6, 1));
  EXPECT_THROW(cluster.create_topic("wachtpost.posts", 12, 1), std::runtime_error);  // exists already
  EXPECT_THROW(MockCluster(0), std::invalid_argument);
}

TEST(MockClusterTest, BrokerDownAndUpChangesReachability) {
  MockCluster cluster(1);
  cluster.create_topic("t", 1, 1);
  EXPECT_TRUE(topics_on(cluster.bootstrap_servers(), 2000).contains("t"));
  cluster.set_broker_down(1);
  EXPECT_TRUE(topics_on(cluster.bootstrap_servers(), 1500).empty());
  cluster.set_broker_up(1);
  EXPECT_TRUE(topics_on(cluster.bootstrap_servers(), 5000).contains("t"));
  EXPECT_THROW(cluster.set_broker_down(7), std::runtime_error);  // no such broker
}

// ---- topic plan ---------------------------------------------------------------

TEST(TopicPlan, OkForCreatedTopicsCreateForAMissingOne) {
  MockCluster cluster(3);
  const auto topics = embedded_topic_definitions();
  cluster.create_topic("wachtpost.posts", 12, 3);
  cluster.create_topic("wachtpost.alerts", 6, 3);
  const KafkaClient admin = admin_client(cluster.bootstrap_servers());
  const auto started = std::chrono::steady_clock::now();
  const auto steps = plan_topics(admin.get(), topics, 10000);
  // The mock cannot serve DescribeConfigs; the plan says so at once rather
  // than waiting for the request to time out.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  ASSERT_EQ(steps.size(), 4U);
  EXPECT_EQ(step_for(steps, "wachtpost.posts").action, TopicPlanStep::Action::kOk);
  EXPECT_EQ(step_for(steps, "wachtpost.alerts").action, TopicPlanStep::Action::kOk);
  EXPECT_TRUE(contains(step_for(steps, "wachtpost.posts").detail, "partitions=12 replication=3 (config not checked:"))
      << step_for(steps, "wachtpost.posts").detail;
  const auto& missing = step_for(steps, "wachtpost.posts.dlq");
  EXPECT_EQ(missing.action, TopicPlanStep::Action::kCreate);
  EXPECT_TRUE(contains(missing.detail, "partitions=3 replication=3 retention.ms=1209600000")) << missing.detail;
  EXPECT_EQ(step_for(steps, "wachtpost.alerts.shadow").action, TopicPlanStep::Action::kCreate);
  // Planning is read-only: the missing topics were not auto-created by asking.
  EXPECT_FALSE(topics_on(cluster.bootstrap_servers()).contains("wachtpost.posts.dlq"));
  EXPECT_FALSE(topics_on(cluster.bootstrap_servers()).contains("wachtpost.alerts.shadow"));
}

TEST(TopicPlan, DifferentPartitionsAndReplicationAreMismatches) {
  MockCluster cluster(3);
  cluster.create_topic("wachtpost.posts", 4, 3);
  cluster.create_topic("wachtpost.alerts", 6, 3);
  cluster.create_topic("wachtpost.posts.dlq", 3, 3);
  cluster.create_topic("wachtpost.alerts.shadow", 6, 3);
  // The mock gives every partition three replicas whatever it is asked for,
  // so the replication difference comes from the definitions side.
  auto topics = embedded_topic_definitions();
  for (auto& topic : topics) {
    if (topic.role == "alerts") topic.replication_factor = 2;
  }
  const KafkaClient admin = admin_client(cluster.bootstrap_servers());
  const auto steps = plan_topics(admin.get(), topics, 10000);
  EXPECT_EQ(step_for(steps, "wachtpost.posts").action, TopicPlanStep::Action::kMismatch);
  EXPECT_EQ(step_for(steps, "wachtpost.posts").detail.rfind("partitions 4 != 12 (config not checked:", 0), 0U)
      << step_for(steps, "wachtpost.posts").detail;
  EXPECT_EQ(step_for(steps, "wachtpost.alerts").action, TopicPlanStep::Action::kMismatch);
  EXPECT_EQ(step_for(steps, "wachtpost.alerts").detail.rfind("replication 3 != 2", 0), 0U)
      << step_for(steps, "wachtpost.alerts").detail;
  EXPECT_EQ(step_for(steps, "wachtpost.posts.dlq").action, TopicPlanStep::Action::kOk);
  EXPECT_EQ(step_for(steps, "wachtpost.alerts.shadow").action, TopicPlanStep::Action::kOk);
}

TEST(TopicPlan, ApplyLeavesExistingTopicsAndSaysWhyItCouldNotCreate) {
  MockCluster cluster(3);
  cluster.create_topic("wachtpost.posts", 12, 3);
  cluster.create_topic("wachtpost.alerts", 6, 3);
  const KafkaClient admin = admin_client(cluster.bootstrap_servers());
  const auto steps = apply_topics(admin.get(), embedded_topic_definitions(), 10000);
  EXPECT_EQ(step_for(steps, "wachtpost.posts").action, TopicPlanStep::Action::kOk);
  EXPECT_TRUE(step_for(steps, "wachtpost.posts").error.empty());
  const auto& missing = step_for(steps, "wachtpost.posts.dlq");
  EXPECT_EQ(missing.action, TopicPlanStep::Action::kCreate);
  // The mock cluster implements no CreateTopics.
  EXPECT_TRUE(contains(missing.error, "CreateTopics not possible")) << missing.error;
}

// ---- wachtpost topics apply ---------------------------------------------------

TEST(TopicsApplyCommand, DryRunPrintsOneLinePerTopic) {
  MockCluster cluster(3);
  cluster.create_topic("wachtpost.posts", 12, 3);
  cluster.create_topic("wachtpost.alerts", 6, 3);
  TopicsApplyOptions options;
  options.brokers = cluster.bootstrap_servers();
  options.dry_run = true;
  options.timeout_ms = 5000;
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_topics_apply(options, out, err), kExitOk) << err.str();
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 4U) << out.str();
  EXPECT_EQ(lines[0].rfind("ok wachtpost.posts partitions=12 replication=3", 0), 0U) << lines[0];
  EXPECT_EQ(lines[1].rfind("ok wachtpost.alerts partitions=6 replication=3", 0), 0U) << lines[1];
  EXPECT_EQ(lines[2],
            "create wachtpost.posts.dlq partitions=3 replication=3 retention.ms=1209600000 cleanup.policy=delete "
            "compression.type=zstd min.insync.replicas=2");
  EXPECT_EQ(lines[3],
            "create wachtpost.alerts.shadow partitions=6 replication=3 retention.ms=604800000 cleanup.policy=delete "
            "compression.type=zstd min.insync.replicas=2");
  EXPECT_TRUE(contains(err.str(), "dry run, nothing changed: 2 to create, 2 as defined, 0 mismatched")) << err.str();
}

TEST(TopicsApplyCommand, MismatchOrFailureExitsWithOne) {
  MockCluster cluster(3);
  cluster.create_topic("wachtpost.posts", 3, 3);
  TopicsApplyOptions options;
  options.brokers = cluster.bootstrap_servers();
  options.timeout_ms = 5000;
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_topics_apply(options, out, err), kExitRejectedInput);
  EXPECT_TRUE(contains(out.str(), "mismatch wachtpost.posts partitions 3 != 12")) << out.str();
  EXPECT_TRUE(contains(out.str(), "failed wachtpost.alerts partitions=6")) << out.str();
  EXPECT_TRUE(contains(err.str(), "mismatches are left as they are")) << err.str();
}

TEST(TopicsApplyCommand, UnreachableBrokersExitWithThree) {
  TopicsApplyOptions options;
  options.brokers = "127.0.0.1:1";  // nothing listens on a privileged port here
  options.timeout_ms = 1000;
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_topics_apply(options, out, err), kExitIo);
  EXPECT_TRUE(out.str().empty());
  EXPECT_TRUE(contains(err.str(), "cannot reach the cluster at 127.0.0.1:1")) << err.str();
  EXPECT_TRUE(contains(err.str(), "Connection refused")) << err.str();
}

TEST(TopicsApplyCommand, BadDefinitionsOrPropertiesExitWithTwo) {
  TempDir dir;
  const std::string file = dir.file("topics.yaml");
  std::ofstream(file) << "topics:\n  - role: posts\n    name: p\n    partitions: -1\n";
  TopicsApplyOptions options;
  options.brokers = "127.0.0.1:1";
  options.definitions_file = file;
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_topics_apply(options, out, err), kExitConfigError);
  EXPECT_TRUE(contains(err.str(), file + ":2: partitions must be at least 1")) << err.str();

  options.definitions_file.clear();
  options.properties = {{"no.such.property", "1"}};
  err.str("");
  EXPECT_EQ(run_topics_apply(options, out, err), kExitConfigError);
  EXPECT_TRUE(contains(err.str(), "no.such.property")) << err.str();

  EXPECT_EQ(parse_kafka_property("sasl.password=a=b"),
            std::make_optional(std::make_pair(std::string("sasl.password"), std::string("a=b"))));
  EXPECT_FALSE(parse_kafka_property("novalue"));
  EXPECT_FALSE(parse_kafka_property("=x"));
}

// ---- wachtpost mock-cluster as a process --------------------------------------

TEST(MockClusterCommand, ServesTheTopicsUntilSigterm) {
  TempDir dir;
  Process cluster({kBinary, "mock-cluster"}, dir.file("out"), dir.file("err"));
  std::string bootstrap;
  int early_exit = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline && early_exit == -1) {
    const std::string out = cluster.out();
    if (const auto newline = out.find('\n'); newline != std::string::npos) {
      bootstrap = out.substr(0, newline);
      break;
    }
    early_exit = cluster.wait(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(bootstrap.empty()) << "no bootstrap line (exit status " << early_exit << "); stderr:\n" << cluster.err();
  EXPECT_TRUE(contains(bootstrap, "127.0.0.1:")) << bootstrap;
  EXPECT_EQ(std::count(bootstrap.begin(), bootstrap.end(), ','), 2) << bootstrap;  // three brokers
  EXPECT_TRUE(contains(cluster.err(), "topic wachtpost.posts (posts): 12 partitions, 3 replicas")) << cluster.err();

  {
    PostProducer producer(bootstrap);
    producer.send("wachtpost.posts", "k", R"({"id":"p1","text":"hello"})");
    producer.flush();
  }
  const auto records = read_topic(bootstrap, "wachtpost.posts", 12);
  ASSERT_EQ(records.size(), 1U);
  EXPECT_EQ(records[0].value, R"({"id":"p1","text":"hello"})");

  // Another Kafka tool sees the same cluster.
  Process kcat({"/usr/bin/kcat", "-b", bootstrap, "-L", "-m", "10"}, dir.file("kcat.out"), dir.file("kcat.err"));
  ASSERT_EQ(kcat.wait(std::chrono::seconds(30)), 0) << kcat.err();
  const std::string listing = kcat.out();
  EXPECT_TRUE(contains(listing, "3 brokers:")) << listing;
  EXPECT_TRUE(contains(listing, "topic \"wachtpost.posts\" with 12 partitions:")) << listing;
  EXPECT_TRUE(contains(listing, "topic \"wachtpost.alerts\" with 6 partitions:")) << listing;
  EXPECT_TRUE(contains(listing, "topic \"wachtpost.posts.dlq\" with 3 partitions:")) << listing;
  EXPECT_TRUE(contains(listing, "topic \"wachtpost.alerts.shadow\" with 6 partitions:")) << listing;

  cluster.signal(SIGTERM);
  EXPECT_EQ(cluster.wait(std::chrono::seconds(20)), 0) << cluster.err();
  EXPECT_EQ(lines_of(cluster.out()).size(), 1U) << "stdout carries the bootstrap line only";
}

TEST(MockClusterCommand, BadDefinitionsExitWithTwo) {
  TempDir dir;
  const std::string file = dir.file("topics.yaml");
  std::ofstream(file) << "topics: []\n";
  Process cluster({kBinary, "mock-cluster", "--definitions", file}, dir.file("out"), dir.file("err"));
  EXPECT_EQ(cluster.wait(std::chrono::seconds(20)), kExitConfigError) << cluster.err();
  EXPECT_TRUE(contains(cluster.err(), file + ":1: no topic for role 'posts'")) << cluster.err();
  EXPECT_TRUE(cluster.out().empty());
}
