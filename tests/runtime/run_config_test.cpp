#include "runtime/run_config.hpp"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "runtime/kafka_handles.hpp"

namespace wachtpost {
namespace {

namespace fs = std::filesystem;

// A fresh folder per test, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "wachtpost-run-config-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const fs::path& path() const { return path_; }

  std::string write(const std::string& name, const std::string& content) const {
    const fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << content;
    return file.string();
  }

 private:
  fs::path path_;
};

// The message of the ConfigError that loading `yaml` throws; fails the test if
// it loads.
std::string load_error(const TempDir& dir, const std::string& yaml) {
  const std::string path = dir.write("wachtpost.yaml", yaml);
  try {
    load_run_config(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "loaded without error:\n" << yaml;
  return {};
}

std::string validate_error(const RunConfig& config) {
  try {
    validate_run_config(config);
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "validated without error";
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

constexpr const char* kFullExample = R"(brokers: kafka-1:9092,kafka-2:9092
topics: {input: posts.in, alerts: alerts.out, dead_letters: posts.dlq, shadow_alerts: alerts.proposed}
group: desk-a
transactional_id: wachtpost-a
patterns: /etc/wachtpost/patterns     # optional
protected: /etc/wachtpost/protected.yaml
workers: 6
batch: {max_messages: 500, max_ms: 100, linger_ms: 7}
queue_max_messages: 4000
max_post_bytes: 65536
shutdown_timeout_ms: 9000
exit_at_eof: true
pseudonym: {key_file: /run/secrets/pseudonym-key, rotation_hours: 12}
reload:
  policy: single-operator
  audit_log: /var/log/wachtpost/reload.jsonl
  watch_seconds: 30
  corpus: [labelled/threats.ndjson, labelled/harmless.ndjson]
  min_recall: 0.8
  max_false_alerts: 0.1
kafka: {security.protocol: SASL_SSL, sasl.mechanism: SCRAM-SHA-512, sasl.username: wachtpost}
consumer: {fetch.max.bytes: 52428800}
producer: {compression.type: zstd, linger.ms: 20}
)";

TEST(RunConfig, FullExampleLoadsEveryField) {
  TempDir dir;
  dir.write("labelled/threats.ndjson", "");
  dir.write("labelled/harmless.ndjson", "");
  const RunConfig config = load_run_config(dir.write("wachtpost.yaml", kFullExample));
  EXPECT_EQ(config.brokers, "kafka-1:9092,kafka-2:9092");
  EXPECT_EQ(config.input_topic, "posts.in");
  EXPECT_EQ(config.alert_topic, "alerts.out");
  EXPECT_EQ(config.dlq_topic, "posts.dlq");
  EXPECT_EQ(config.shadow_topic, "alerts.proposed");
  EXPECT_EQ(config.group, "desk-a");
  EXPECT_EQ(config.transactional_id, "wachtpost-a");
  EXPECT_EQ(config.patterns_dir, "/etc/wachtpost/patterns");
  EXPECT_EQ(config.protected_file, "/etc/wachtpost/protected.yaml");
  EXPECT_EQ(config.workers, 6U);
  EXPECT_EQ(config.batch_max_messages, 500U);
  EXPECT_EQ(config.batch_max_ms, 100U);
  EXPECT_EQ(config.batch_linger_ms, 7U);
  EXPECT_EQ(config.queue_max_messages, 4000U);
  EXPECT_EQ(config.max_post_bytes, 65536U);
  EXPECT_EQ(config.shutdown_timeout_ms, 9000U);
  EXPECT_TRUE(config.exit_at_eof);
  EXPECT_EQ(config.pseudonym_key_file, "/run/secrets/pseudonym-key");
  EXPECT_EQ(config.pseudonym_rotation_hours, 12U);
  EXPECT_EQ(config.reload.policy, ReloadPolicy::kSingleOperator);
  EXPECT_EQ(config.reload.audit_log, "/var/log/wachtpost/reload.jsonl");
  EXPECT_EQ(config.reload.watch_seconds, 30U);
  const fs::path folder = fs::absolute(dir.path());
  EXPECT_EQ(config.reload.corpus, (std::vector<std::string>{(folder / "labelled/threats.ndjson").string(),
                                                            (folder / "labelled/harmless.ndjson").string()}));
  EXPECT_DOUBLE_EQ(config.reload.min_recall, 0.8);
  EXPECT_DOUBLE_EQ(config.reload.max_false_alerts, 0.1);
  const KafkaProperties kafka{
      {"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "SCRAM-SHA-512"}, {"sasl.username", "wachtpost"}};
  EXPECT_EQ(config.kafka, kafka);
  EXPECT_EQ(config.consumer, (KafkaProperties{{"fetch.max.bytes", "52428800"}}));
  EXPECT_EQ(config.producer, (KafkaProperties{{"compression.type", "zstd"}, {"linger.ms", "20"}}));
  EXPECT_NO_THROW(validate_run_config(config));
}

TEST(RunConfig, MissingKeysKeepTheirDefaults) {
  TempDir dir;
  const RunConfig defaults;
  for (const char* yaml : {"brokers: localhost:9092\n", "brokers: localhost:9092\npatterns:\nworkers: ~\n",
                           "brokers: localhost:9092\ntopics: {shadow_alerts: ~}\nreload:\n  policy:\n  corpus:\n"}) {
    const RunConfig config = load_run_config(dir.write("wachtpost.yaml", yaml));
    EXPECT_EQ(config.brokers, "localhost:9092");
    EXPECT_EQ(config.input_topic, "wachtpost.posts");
    EXPECT_EQ(config.alert_topic, "wachtpost.alerts");
    EXPECT_EQ(config.dlq_topic, "wachtpost.posts.dlq");
    EXPECT_EQ(config.shadow_topic, "wachtpost.alerts.shadow");
    EXPECT_EQ(config.group, "wachtpost");
    EXPECT_EQ(config.transactional_id, "wachtpost");
    EXPECT_EQ(config.patterns_dir, "");
    EXPECT_EQ(config.protected_file, "");
    EXPECT_EQ(config.workers, 0U);
    EXPECT_EQ(config.batch_max_messages, 2000U);
    EXPECT_EQ(config.batch_max_ms, 200U);
    EXPECT_EQ(config.batch_linger_ms, 2U);
    EXPECT_EQ(config.queue_max_messages, 100000U);
    EXPECT_EQ(config.max_post_bytes, std::size_t{1} << 20);
    EXPECT_EQ(config.shutdown_timeout_ms, 15000U);
    EXPECT_FALSE(config.exit_at_eof);
    EXPECT_EQ(config.pseudonym_key_file, "");
    EXPECT_EQ(config.pseudonym_rotation_hours, 24U);
    EXPECT_EQ(config.reload.policy, ReloadPolicy::kFourEyes);
    EXPECT_EQ(config.reload.audit_log, "");
    EXPECT_EQ(config.reload.watch_seconds, 0U);
    EXPECT_TRUE(config.reload.corpus.empty());
    EXPECT_DOUBLE_EQ(config.reload.min_recall, defaults.reload.min_recall);
    EXPECT_DOUBLE_EQ(config.reload.max_false_alerts, defaults.reload.max_false_alerts);
    EXPECT_TRUE(config.kafka.empty() && config.consumer.empty() && config.producer.empty());
    EXPECT_NO_THROW(validate_run_config(config));
  }
}

TEST(RunConfig, EmptyFileLoadsButNeedsBrokers) {
  TempDir dir;
  const RunConfig config = load_run_config(dir.write("wachtpost.yaml", "# brokers come from --brokers\n"));
  EXPECT_EQ(config.brokers, "");
  EXPECT_TRUE(contains(validate_error(config), "brokers: not set"));
  RunConfig with_flag = config;
  with_flag.brokers = "localhost:9092";
  EXPECT_NO_THROW(validate_run_config(with_flag));
}

TEST(RunConfig, BrokersMayBeAList) {
  TempDir dir;
  const RunConfig config = load_run_config(dir.write("wachtpost.yaml", "brokers: [kafka-1:9092, kafka-2:9092]\n"));
  EXPECT_EQ(config.brokers, "kafka-1:9092,kafka-2:9092");
}

TEST(RunConfig, UnknownTopLevelKeyNamesFileAndLine) {
  TempDir dir;
  const std::string path = (dir.path() / "wachtpost.yaml").string();
  const std::string error = load_error(dir, "brokers: localhost:9092\ngroup: desk\nwrkers: 4\n");
  EXPECT_TRUE(error.starts_with(path + ":3: ")) << error;
  EXPECT_TRUE(contains(error, "unknown key 'wrkers'")) << error;
  EXPECT_TRUE(contains(error, "did you mean 'workers'?")) << error;
}

TEST(RunConfig, LibrdkafkaPropertyAtTopLevelPointsToTheSections) {
  TempDir dir;
  const std::string error = load_error(dir, "brokers: localhost:9092\nsecurity.protocol: SSL\n");
  EXPECT_TRUE(contains(error, ":2: unknown key 'security.protocol'")) << error;
  EXPECT_TRUE(contains(error, "put it under kafka:, consumer: or producer:")) << error;
}

TEST(RunConfig, UnknownNestedKeyNamesItsLine) {
  TempDir dir;
  const std::string error = load_error(dir, "brokers: localhost:9092\ntopics:\n  input: posts\n  alert: alerts\n");
  EXPECT_TRUE(contains(error, "wachtpost.yaml:4: topics: unknown key 'alert' (did you mean 'alerts'?)")) << error;
}

TEST(RunConfig, WrongTypesNameFileAndLine) {
  TempDir dir;
  const std::string path = (dir.path() / "wachtpost.yaml").string();
  EXPECT_EQ(load_error(dir, "brokers: localhost:9092\nworkers: many\n"),
            path + ":2: workers: expected a whole number (0 to 1024), got 'many'");
  EXPECT_EQ(load_error(dir, "topics: wachtpost.posts\n"),
            path + ":1: topics: expected a mapping (input, alerts, dead_letters, shadow_alerts), not a single value");
  EXPECT_EQ(load_error(dir, "exit_at_eof: maybe\n"), path + ":1: exit_at_eof: expected true or false, not 'maybe'");
  EXPECT_EQ(load_error(dir, "group: [a, b]\n"), path + ":1: group: expected a text value, not a list");
  EXPECT_EQ(load_error(dir, "batch: {max_ms: -5}\n"),
            path + ":1: batch.max_ms: expected a whole number (1 to 60000), got '-5'");
  EXPECT_TRUE(load_error(dir, "- brokers\n").starts_with(path + ":1: expected a mapping of settings"));
}

TEST(RunConfig, OutOfRangeValuesNameFileAndLine) {
  TempDir dir;
  const std::string path = (dir.path() / "wachtpost.yaml").string();
  EXPECT_EQ(load_error(dir, "workers: 5000\n"), path + ":1: workers: 5000 is out of range (0 to 1024)");
  EXPECT_EQ(load_error(dir, "batch:\n  max_messages: 0\n"),
            path + ":2: batch.max_messages: 0 is out of range (1 to 1000000)");
  EXPECT_EQ(load_error(dir, "max_post_bytes: 99999999999999999999999\n"),
            path + ":1: max_post_bytes: 99999999999999999999999 is out of range (64 to 67108864)");
  EXPECT_EQ(load_error(dir, "topics: {alerts: ''}\n"), path + ":1: topics.alerts: must not be empty");
  EXPECT_TRUE(contains(load_error(dir, "topics: {input: 'posts in'}\n"), "is not a legal Kafka topic name"));
}

TEST(RunConfig, EveryProblemIsListedWithItsLine) {
  TempDir dir;
  const std::string path = (dir.path() / "wachtpost.yaml").string();
  const std::string error = load_error(dir, "workers: many\nbatch: {max_ms: 0}\ncolour: blue\n");
  EXPECT_EQ(error, path + ":1: workers: expected a whole number (0 to 1024), got 'many'\n" + path +
                       ":2: batch.max_ms: 0 is out of range (1 to 60000)\n" + path + ":3: unknown key 'colour'");
}

TEST(RunConfig, DuplicateKeysAreRefused) {
  TempDir dir;
  const std::string error = load_error(dir, "brokers: a:9092\nworkers: 2\nworkers: 4\n");
  EXPECT_TRUE(contains(error, "wachtpost.yaml:3: duplicate key 'workers' (first at line 2)")) << error;
  const std::string in_section = load_error(dir, "kafka:\n  client.id: a\n  client.id: b\n");
  EXPECT_TRUE(contains(in_section, ":3: kafka: duplicate key 'client.id' (first at line 2)")) << in_section;
}

TEST(RunConfig, InvalidYamlNamesTheLine) {
  TempDir dir;
  const std::string error = load_error(dir, "brokers: a:9092\ntopics: {input: x\nworkers: 2\n");
  EXPECT_TRUE(contains(error, "wachtpost.yaml:")) << error;
  EXPECT_TRUE(contains(error, "invalid YAML")) << error;
}

TEST(RunConfig, UnreadableFileIsAConfigError) {
  TempDir dir;
  try {
    load_run_config(dir.path().string());
    FAIL() << "loaded a folder";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), dir.path().string() + ": is a folder, not a file");
  }
  const std::string path = (dir.path() / "missing.yaml").string();
  try {
    load_run_config(path);
    FAIL() << "loaded a missing file";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": cannot be read: No such file or directory");
  }
}

TEST(RunConfig, PassthroughValuesBecomeLibrdkafkaStrings) {
  TempDir dir;
  const RunConfig config = load_run_config(dir.write("wachtpost.yaml", R"(brokers: localhost:9092
kafka:
  enable.ssl.certificate.verification: false
  client.id: "True"
  socket.keepalive.enable: TRUE
consumer: {fetch.wait.max.ms: 250, queued.max.messages.kbytes: 4096}
producer: {linger.ms: 2.5, message.timeout.ms: 30000}
)"));
  // Plain YAML booleans take librdkafka's spelling; a quoted "True" stays text.
  EXPECT_EQ(config.kafka, (KafkaProperties{{"enable.ssl.certificate.verification", "false"},
                                           {"client.id", "True"},
                                           {"socket.keepalive.enable", "true"}}));
  EXPECT_EQ(config.consumer, (KafkaProperties{{"fetch.wait.max.ms", "250"}, {"queued.max.messages.kbytes", "4096"}}));
  EXPECT_EQ(config.producer, (KafkaProperties{{"linger.ms", "2.5"}, {"message.timeout.ms", "30000"}}));
  // message.timeout.ms is a topic-level property: rd_kafka_conf_set takes it
  // onto the default topic configuration.
  EXPECT_NO_THROW(validate_run_config(config));
}

TEST(RunConfig, ClientSectionMayOverrideTheSharedOne) {
  TempDir dir;
  const RunConfig config = load_run_config(
      dir.write("wachtpost.yaml", "brokers: b:9092\nkafka: {client.id: wachtpost}\nconsumer: {client.id: reader}\n"));
  EXPECT_NO_THROW(validate_run_config(config));
}

TEST(RunConfig, PassthroughShapesAreChecked) {
  TempDir dir;
  EXPECT_TRUE(contains(load_error(dir, "kafka:\n  sasl: {mechanism: PLAIN}\n"),
                       ":2: kafka: sasl: expected a string, number or boolean, not a mapping"));
  EXPECT_TRUE(contains(load_error(dir, "consumer:\n  debug: [cgrp, topic]\n"),
                       ":2: consumer: debug: expected a string, number or boolean, not a list"));
  EXPECT_TRUE(contains(load_error(dir, "producer:\n  client.rack:\n"), ":2: producer: client.rack: has no value"));
  EXPECT_TRUE(contains(load_error(dir, "kafka: [security.protocol]\n"), ":1: kafka: expected a mapping"));
}

TEST(RunConfig, UnknownLibrdkafkaPropertyIsNamed) {
  TempDir dir;
  const std::string error = load_error(dir, "brokers: b:9092\nkafka: {no.such.thing: 1}\n");
  EXPECT_TRUE(
      contains(error, "wachtpost.yaml:2: kafka: no.such.thing: No such configuration property: \"no.such.thing\""))
      << error;

  RunConfig config;
  config.brokers = "b:9092";
  config.consumer = {{"sesion.timeout.ms", "10000"}};
  const std::string in_code = validate_error(config);
  EXPECT_EQ(in_code,
            "consumer: sesion.timeout.ms: No such configuration property: \"sesion.timeout.ms\" (did you mean "
            "'session.timeout.ms'?)");
}

TEST(RunConfig, InvalidLibrdkafkaValueIsRefusedWithLibrdkafkasMessage) {
  TempDir dir;
  const std::string error = load_error(dir, "brokers: b:9092\nproducer: {compression.type: lzma9}\n");
  // librdkafka names the property the alias stands for.
  EXPECT_TRUE(contains(error,
                       "wachtpost.yaml:2: producer: compression.type: Invalid value \"lzma9\" for "
                       "configuration property \"compression.codec\""))
      << error;
  const std::string range = load_error(dir, "producer:\n  linger.ms: -5\n");
  EXPECT_TRUE(contains(range,
                       ":2: producer: linger.ms: Configuration property \"queue.buffering.max.ms\" value -5 "
                       "is outside allowed range"))
      << range;
  EXPECT_TRUE(contains(load_error(dir, "kafka: {security.protocol: bogus}\n"), "Invalid value \"bogus\""));
  EXPECT_TRUE(contains(load_error(dir, "kafka: {opaque: x}\n"), "must be set through dedicated"));
}

// What librdkafka itself does with a consumer property on a configuration
// that will become a producer: rd_kafka_conf_set has no idea which client the
// configuration is for and accepts it; only rd_kafka_new later logs that it is
// ignored. wachtpost therefore refuses it from librdkafka's own property table.
TEST(RunConfig, LibrdkafkaAcceptsAConsumerPropertyOnAnyConfiguration) {
  const KafkaConf conf(rd_kafka_conf_new());
  std::array<char, 512> error{};
  EXPECT_EQ(rd_kafka_conf_set(conf.get(), "fetch.max.bytes", "1", error.data(), error.size()), RD_KAFKA_CONF_OK);
}

TEST(RunConfig, PropertyOfTheOtherClientIsRefused) {
  TempDir dir;
  const std::string error = load_error(dir, "brokers: b:9092\nproducer: {fetch.max.bytes: 1}\n");
  EXPECT_TRUE(contains(error,
                       "wachtpost.yaml:2: producer: fetch.max.bytes: a consumer property; librdkafka would "
                       "ignore it in the producer and only log a warning, so put it under consumer:"))
      << error;
  const std::string in_consumer = load_error(dir, "consumer: {linger.ms: 5}\n");
  EXPECT_TRUE(contains(in_consumer, "consumer: linger.ms: a producer property")) << in_consumer;
  // The shared section is for properties of both clients.
  const std::string shared = load_error(dir, "kafka: {session.timeout.ms: 10000}\n");
  EXPECT_TRUE(contains(shared,
                       "kafka: session.timeout.ms: a consumer property; librdkafka would ignore it in the "
                       "producer and only log a warning, so put it under consumer:"))
      << shared;
}

// librdkafka reads integers with strtol and an int cast, without complaint.
// Should this start failing, a newer librdkafka refuses such values itself and
// wachtpost's strict number check is merely redundant.
TEST(RunConfig, LibrdkafkaMisreadsNumbersQuietly) {
  const KafkaConf conf(rd_kafka_conf_new());
  std::array<char, 512> error{};
  std::array<char, 64> value{};
  std::size_t size = value.size();
  ASSERT_EQ(rd_kafka_conf_set(conf.get(), "fetch.max.bytes", "4294967297", error.data(), error.size()),
            RD_KAFKA_CONF_OK);
  ASSERT_EQ(rd_kafka_conf_get(conf.get(), "fetch.max.bytes", value.data(), &size), RD_KAFKA_CONF_OK);
  EXPECT_EQ(std::string(value.data()), "1");
}

TEST(RunConfig, NumbersLibrdkafkaWouldMisreadAreRefused) {
  TempDir dir;
  const std::string exponent = load_error(dir, "producer: {batch.num.messages: 1e3}\n");
  EXPECT_TRUE(contains(exponent,
                       "producer: batch.num.messages: value '1e3' is not a whole number in plain decimal "
                       "(librdkafka would quietly read it as 1)"))
      << exponent;
  const std::string wraps = load_error(dir, "consumer: {fetch.max.bytes: 4294967297}\n");
  EXPECT_TRUE(contains(wraps, "consumer: fetch.max.bytes: value '4294967297' does not fit librdkafka's integer"))
      << wraps;
  EXPECT_TRUE(contains(load_error(dir, "consumer: {fetch.max.bytes: 010}\n"), "would quietly read it as 8"));
  EXPECT_TRUE(contains(load_error(dir, "producer: {linger.ms: 20ms}\n"), "'20ms' is not a plain number"));
  // What librdkafka cannot read at all gets its own message.
  EXPECT_TRUE(contains(load_error(dir, "consumer: {fetch.max.bytes: lots}\n"),
                       "Invalid value for configuration property \"fetch.max.bytes\""));
}

TEST(RunConfig, ManagedPropertiesAreRefused) {
  for (const char* key :
       {"group.id", "transactional.id", "enable.auto.commit", "enable.auto.offset.store", "isolation.level",
        "partition.assignment.strategy", "bootstrap.servers", "metadata.broker.list", "enable.idempotence", "acks",
        "request.required.acks", "auto.commit.enable", "enable.partition.eof"}) {
    EXPECT_TRUE(is_managed_kafka_property(key)) << key;
  }
  for (const char* key : {"security.protocol", "sasl.mechanism", "client.id", "linger.ms", "GROUP.ID", ""}) {
    EXPECT_FALSE(is_managed_kafka_property(key)) << key;
  }
  TempDir dir;
  const std::string error = load_error(dir, "consumer:\n  group.id: other\n");
  EXPECT_TRUE(contains(error, ":2: consumer: group.id: set by wachtpost itself: set it with group:")) << error;
  const std::string servers = load_error(dir, "kafka: {bootstrap.servers: 'a:9092'}\n");
  EXPECT_TRUE(contains(servers, "kafka: bootstrap.servers: set by wachtpost itself: set it with brokers:")) << servers;
  const std::string acks = load_error(dir, "producer: {acks: 1}\n");
  EXPECT_TRUE(contains(acks, "producer: acks: set by wachtpost itself")) << acks;

  RunConfig config;
  config.brokers = "b:9092";
  config.consumer = {{"isolation.level", "read_uncommitted"}};
  EXPECT_TRUE(validate_error(config).starts_with("consumer: isolation.level: set by wachtpost itself"));
}

TEST(RunConfig, SecretValuesAreNeverEchoed) {
  TempDir dir;
  const std::string secret = "hunter2-s3cr3t";
  for (const std::string& yaml : {
           "kafka: {sasl.pasword: " + secret + "}\n",                                      // unknown (typo)
           "kafka:\n  sasl.password: " + secret + "\n  sasl.password: " + secret + "x\n",  // duplicate
           "kafka:\n  sasl.password: [" + secret + "]\n",                                  // wrong shape
           "kafka:\n  ssl.key.password: {a: " + secret + "}\n",                            // wrong shape
           "kafka:\n  sasl.oauthbearer.client.secret: " + secret + "\n  session.timeout.ms: 1\n",
           "consumer:\n  sasl.oauthbearer.config: " + secret + "\n  linger.ms: 1\n",
       }) {
    const std::string error = load_error(dir, "brokers: b:9092\n" + yaml);
    EXPECT_FALSE(contains(error, "hunter2")) << error;
  }
  // A secret that is fine is simply passed on.
  const RunConfig config =
      load_run_config(dir.write("wachtpost.yaml", "brokers: b:9092\nkafka: {sasl.password: " + secret + "}\n"));
  EXPECT_EQ(config.kafka, (KafkaProperties{{"sasl.password", secret}}));
  EXPECT_NO_THROW(validate_run_config(config));
}

TEST(RunConfig, RelativePathsResolveAgainstTheConfigFolder) {
  TempDir dir;
  const std::string path = dir.write("etc/wachtpost.yaml", R"(patterns: rules
protected: ../registry/protected.yaml
pseudonym: {key_file: ./secrets/key}
)");
  const RunConfig config = load_run_config(path);
  const fs::path folder = fs::absolute(dir.path());
  EXPECT_EQ(config.patterns_dir, (folder / "etc/rules").string());
  EXPECT_EQ(config.protected_file, (folder / "registry/protected.yaml").string());
  EXPECT_EQ(config.pseudonym_key_file, (folder / "etc/secrets/key").string());

  const RunConfig absolute = load_run_config(dir.write("etc/wachtpost.yaml", "patterns: /srv/rules\nprotected: ''\n"));
  EXPECT_EQ(absolute.patterns_dir, "/srv/rules");
  EXPECT_EQ(absolute.protected_file, "");
}

TEST(RunConfig, ValidateChecksBrokersAndTopics) {
  RunConfig config;
  config.brokers = "b:9092";
  EXPECT_NO_THROW(validate_run_config(config));

  RunConfig same = config;
  same.dlq_topic = same.input_topic;
  EXPECT_EQ(validate_error(same),
            "topics.dead_letters is the same topic as topics.input ('wachtpost.posts'): input, alerts, dead letters "
            "and shadow alerts must be different topics");

  RunConfig empty = config;
  empty.alert_topic.clear();
  EXPECT_EQ(validate_error(empty), "topics.alerts: must not be empty");

  RunConfig blank = config;
  blank.brokers = "  ";
  blank.group.clear();
  blank.workers = 4096;
  EXPECT_EQ(validate_error(blank),
            "brokers: not set; give the bootstrap servers (host:port,...) in the file or with --brokers\n"
            "group: must not be empty\n"
            "workers: 4096 is out of range (0 to 1024)");
}

TEST(RunConfig, SameTopicTwiceInTheFileNamesTheLine) {
  TempDir dir;
  const std::string error = load_error(dir, "topics:\n  input: posts\n  alerts: posts\n");
  EXPECT_TRUE(contains(error, ":3: topics.alerts is the same topic as topics.input ('posts')")) << error;
}

TEST(RunConfig, ReloadPolicyNamesRoundTrip) {
  EXPECT_EQ(reload_policy_name(ReloadPolicy::kFourEyes), "four-eyes");
  EXPECT_EQ(reload_policy_name(ReloadPolicy::kSingleOperator), "single-operator");
  for (const ReloadPolicy policy : {ReloadPolicy::kFourEyes, ReloadPolicy::kSingleOperator}) {
    EXPECT_EQ(parse_reload_policy(reload_policy_name(policy)), policy);
  }
  for (const char* text : {"", "four_eyes", "Four-Eyes", "single", "four-eyes "}) {
    EXPECT_FALSE(parse_reload_policy(text).has_value()) << text;
  }
}

TEST(RunConfig, ReloadPathsResolveAgainstTheConfigFolder) {
  TempDir dir;
  dir.write("corpus/threats.ndjson", "{}\n");
  dir.write("etc/harmless.ndjson", "{}\n");
  const std::string path = dir.write("etc/wachtpost.yaml", R"(reload:
  audit_log: ../log/reload.jsonl
  corpus:
    - ../corpus/threats.ndjson
    - ./harmless.ndjson
)");
  const RunConfig config = load_run_config(path);
  const fs::path folder = fs::absolute(dir.path());
  EXPECT_EQ(config.reload.audit_log, (folder / "log/reload.jsonl").string());
  EXPECT_EQ(config.reload.corpus, (std::vector<std::string>{(folder / "corpus/threats.ndjson").string(),
                                                            (folder / "etc/harmless.ndjson").string()}));
  // The audit log is written, not read: it need not exist yet.
  EXPECT_FALSE(fs::exists(config.reload.audit_log));

  const RunConfig absolute =
      load_run_config(dir.write("etc/wachtpost.yaml", "reload: {audit_log: /var/log/reload.jsonl, corpus: [" +
                                                          (folder / "etc/harmless.ndjson").string() + "]}\n"));
  EXPECT_EQ(absolute.reload.audit_log, "/var/log/reload.jsonl");
  EXPECT_EQ(absolute.reload.corpus, (std::vector<std::string>{(folder / "etc/harmless.ndjson").string()}));

  const RunConfig none = load_run_config(dir.write("etc/wachtpost.yaml", "reload: {audit_log: '', corpus: []}\n"));
  EXPECT_EQ(none.reload.audit_log, "");
  EXPECT_TRUE(none.reload.corpus.empty());
}

TEST(RunConfig, ReloadValuesAreCheckedWithFileLineAndKey) {
  TempDir dir;
  const std::string path = (dir.path() / "wachtpost.yaml").string();
  EXPECT_EQ(load_error(dir, "reload:\n  policy: four_eyes\n"),
            path +
                ":2: reload.policy: expected four-eyes or single-operator, got 'four_eyes' (did you mean "
                "'four-eyes'?)");
  EXPECT_EQ(load_error(dir, "reload:\n  policy: anyone\n"),
            path + ":2: reload.policy: expected four-eyes or single-operator, got 'anyone'");
  EXPECT_EQ(load_error(dir, "reload:\n  policy: [four-eyes]\n"),
            path + ":2: reload.policy: expected a text value, not a list");
  EXPECT_EQ(load_error(dir, "reload:\n  watch_seconds: -1\n"),
            path + ":2: reload.watch_seconds: expected a whole number (0 to 86400), got '-1'");
  EXPECT_EQ(load_error(dir, "reload:\n  watch_seconds: 86401\n"),
            path + ":2: reload.watch_seconds: 86401 is out of range (0 to 86400)");
  EXPECT_EQ(load_error(dir, "reload:\n  watch_seconds: 1.5\n"),
            path + ":2: reload.watch_seconds: expected a whole number (0 to 86400), got '1.5'");
  EXPECT_EQ(load_error(dir, "reload:\n  min_recall: 1.5\n"),
            path + ":2: reload.min_recall: 1.5 is out of range (0 to 1)");
  EXPECT_EQ(load_error(dir, "reload:\n  max_false_alerts: -0.1\n"),
            path + ":2: reload.max_false_alerts: -0.1 is out of range (0 to 1)");
  for (const char* text : {"90%", "high", "nan", ".inf", "0x1p-1", "''"}) {
    const std::string error = load_error(dir, std::string("reload:\n  min_recall: ") + text + "\n");
    EXPECT_TRUE(error.starts_with(path + ":2: reload.min_recall: expected a number from 0 to 1, got '")) << error;
  }
  EXPECT_EQ(load_error(dir, "reload:\n  min_recall: {at: 1}\n"),
            path + ":2: reload.min_recall: expected a number from 0 to 1, not a mapping");
  EXPECT_EQ(load_error(dir, "reload:\n  watch_second: 5\n"),
            path + ":2: reload: unknown key 'watch_second' (did you mean 'watch_seconds'?)");
  EXPECT_EQ(load_error(dir, "reload: four-eyes\n"),
            path +
                ":1: reload: expected a mapping (policy, audit_log, watch_seconds, corpus, min_recall, "
                "max_false_alerts), not a single value");
  EXPECT_EQ(load_error(dir, "reload:\n  audit_log: [a, b]\n"),
            path + ":2: reload.audit_log: expected a text value, not a list");
  // Fractions at the ends of the range and in exponent form are fine.
  const RunConfig edges = load_run_config(
      dir.write("wachtpost.yaml", "reload: {min_recall: 1, max_false_alerts: 0, watch_seconds: 86400}\n"));
  EXPECT_DOUBLE_EQ(edges.reload.min_recall, 1.0);
  EXPECT_DOUBLE_EQ(edges.reload.max_false_alerts, 0.0);
  EXPECT_EQ(edges.reload.watch_seconds, 86400U);
  EXPECT_DOUBLE_EQ(
      load_run_config(dir.write("wachtpost.yaml", "reload: {max_false_alerts: 5e-2}\n")).reload.max_false_alerts, 0.05);
}

TEST(RunConfig, ReloadCorpusFilesMustExist) {
  TempDir dir;
  const std::string path = (dir.path() / "wachtpost.yaml").string();
  const fs::path folder = fs::absolute(dir.path());
  dir.write("threats.ndjson", "{}\n");
  fs::create_directories(dir.path() / "labelled");
  // Each problem names the line of its list item.
  EXPECT_EQ(load_error(dir, "reload:\n  corpus:\n    - threats.ndjson\n    - missing.ndjson\n"),
            path + ":4: reload.corpus: '" + (folder / "missing.ndjson").string() + "' does not exist");
  EXPECT_EQ(load_error(dir, "reload:\n  corpus: [labelled]\n"),
            path + ":2: reload.corpus: '" + (folder / "labelled").string() + "' is a folder, not a file");
  EXPECT_EQ(
      load_error(dir, "reload:\n  corpus:\n    - threats.ndjson\n    - ./threats.ndjson\n"),
      path + ":4: reload.corpus: '" + (folder / "threats.ndjson").string() + "' is listed twice (first at line 3)");
  EXPECT_EQ(load_error(dir, "reload:\n  corpus: threats.ndjson\n"),
            path +
                ":2: reload.corpus: expected a list of files, not a single value (write one file as "
                "[file.ndjson])");
  EXPECT_EQ(load_error(dir, "reload:\n  corpus: {threats: threats.ndjson}\n"),
            path + ":2: reload.corpus: expected a list of files, not a mapping (write one file as [file.ndjson])");
  EXPECT_EQ(load_error(dir, "reload:\n  corpus:\n    - threats.ndjson\n    - ''\n    - [a]\n"),
            path + ":4: reload.corpus: list items must be file paths, not an empty value\n" + path +
                ":5: reload.corpus: list items must be file paths, not a list");
}

TEST(RunConfig, EveryReloadProblemIsListed) {
  TempDir dir;
  const std::string path = (dir.path() / "wachtpost.yaml").string();
  const std::string error = load_error(dir, R"(reload:
  policy: two-person
  watch_seconds: 100000
  corpus: [gone.ndjson]
  min_recall: 1.5
  max_false_alerts: lots
topics: {shadow_alerts: wachtpost.alerts}
)");
  EXPECT_EQ(error, path + ":2: reload.policy: expected four-eyes or single-operator, got 'two-person'\n" + path +
                       ":3: reload.watch_seconds: 100000 is out of range (0 to 86400)\n" + path +
                       ":4: reload.corpus: '" + (fs::absolute(dir.path()) / "gone.ndjson").string() +
                       "' does not exist\n" + path + ":5: reload.min_recall: 1.5 is out of range (0 to 1)\n" + path +
                       ":6: reload.max_false_alerts: expected a number from 0 to 1, got 'lots'\n" + path +
                       ":7: topics.shadow_alerts is the same topic as topics.alerts ('wachtpost.alerts'): input, "
                       "alerts, dead letters and shadow alerts must be different topics");
}

TEST(RunConfig, ShadowTopicIsReadAndChecked) {
  TempDir dir;
  const std::string path = (dir.path() / "wachtpost.yaml").string();
  const RunConfig named =
      load_run_config(dir.write("wachtpost.yaml", "brokers: b:9092\ntopics:\n  shadow_alerts: alerts.proposed\n"));
  EXPECT_EQ(named.shadow_topic, "alerts.proposed");
  EXPECT_NO_THROW(validate_run_config(named));

  // '' means no shadow topic, and is not an empty topic name.
  const RunConfig none = load_run_config(dir.write("wachtpost.yaml", "brokers: b:9092\ntopics: {shadow_alerts: ''}\n"));
  EXPECT_EQ(none.shadow_topic, "");
  EXPECT_NO_THROW(validate_run_config(none));

  EXPECT_EQ(load_error(dir, "topics:\n  alerts: out\n  shadow_alerts: out\n"),
            path +
                ":3: topics.shadow_alerts is the same topic as topics.alerts ('out'): input, alerts, dead letters "
                "and shadow alerts must be different topics");
  EXPECT_EQ(load_error(dir, "topics:\n  shadow_alerts: wachtpost.posts\n"),
            path +
                ":2: topics.shadow_alerts is the same topic as topics.input ('wachtpost.posts'): input, alerts, "
                "dead letters and shadow alerts must be different topics");
  EXPECT_EQ(load_error(dir, "topics:\n  shadow_alerts: 'alerts shadow'\n"),
            path +
                ":2: topics.shadow_alerts: 'alerts shadow' is not a legal Kafka topic name (letters, digits, '.', "
                "'_' and '-' only)");
  EXPECT_EQ(load_error(dir, "topics:\n  shadow_alerts: [a]\n"),
            path + ":2: topics.shadow_alerts: expected a text value, not a list");
  EXPECT_EQ(load_error(dir, "topics:\n  shadow: x\n"), path + ":2: topics: unknown key 'shadow'");
}

TEST(RunConfig, ValidateChecksShadowTopicAndReloadRanges) {
  RunConfig config;
  config.brokers = "b:9092";
  config.shadow_topic.clear();  // none
  EXPECT_NO_THROW(validate_run_config(config));

  RunConfig same = config;
  same.shadow_topic = same.dlq_topic;
  EXPECT_EQ(validate_error(same),
            "topics.shadow_alerts is the same topic as topics.dead_letters ('wachtpost.posts.dlq'): input, alerts, "
            "dead letters and shadow alerts must be different topics");

  RunConfig illegal = config;
  illegal.shadow_topic = "..";
  EXPECT_EQ(validate_error(illegal),
            "topics.shadow_alerts: '..' is not a legal Kafka topic name (letters, digits, '.', '_' and '-' only)");

  RunConfig ranges = config;
  ranges.reload.watch_seconds = 90000;
  ranges.reload.min_recall = 1.5;
  ranges.reload.max_false_alerts = std::nan("");
  EXPECT_EQ(validate_error(ranges),
            "reload.watch_seconds: 90000 is out of range (0 to 86400)\n"
            "reload.min_recall: 1.5 is out of range (0 to 1)\n"
            "reload.max_false_alerts: nan is out of range (0 to 1)");
}

TEST(RunConfig, ShippedExampleLoadsAndValidates) {
  const std::string path = std::string(WACHTPOST_SOURCE_DIR) + "/deploy/wachtpost.example.yaml";
  RunConfig config;
  ASSERT_NO_THROW(config = load_run_config(path));
  EXPECT_NO_THROW(validate_run_config(config));
  EXPECT_FALSE(config.brokers.empty());
  EXPECT_FALSE(config.kafka.empty());
  EXPECT_FALSE(config.consumer.empty());
  EXPECT_FALSE(config.producer.empty());
}

}  // namespace
}  // namespace wachtpost
