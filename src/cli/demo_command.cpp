// `wachtpost demo`: the whole job on one machine with nothing installed. A
// librdkafka mock cluster (real Kafka protocol on loopback TCP, three brokers)
// gets the topics of topics/topics.yaml, a feeder thread produces the bundled
// sample stream at a steady rate, and the stream processor prints each alert
// once its transaction committed.

#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <map>
#include <thread>

#include "cli/cli.hpp"
#include "cli/demo_inputs.hpp"
#include "cli/pattern_source.hpp"
#include "cli/run_command.hpp"
#include "cli/serving.hpp"
#include "match/database_cache.hpp"
#include "match/embedded_patterns.hpp"
#include "match/pattern_loader.hpp"
#include "runtime/kafka_handles.hpp"
#include "runtime/mock_cluster.hpp"
#include "runtime/stream_processor.hpp"
#include "runtime/topic_plan.hpp"

namespace wachtpost {

namespace {

// Gives each pass over the sample its own post ids ("s-0006" -> "s-0006.2"),
// as a live stream would, so every pass raises its own alerts.
std::string with_pass_suffix(std::string_view line, unsigned pass) {
  std::string out(line);
  if (pass <= 1) return out;
  const auto key = out.find("\"id\"");
  if (key == std::string::npos) return out;
  const auto open = out.find('"', out.find(':', key) + 1);
  const auto close = open == std::string::npos ? open : out.find('"', open + 1);
  if (close == std::string::npos) return out;
  out.insert(close, "." + std::to_string(pass));
  return out;
}

// Returns the end offset of each partition once everything is written.
std::map<std::int32_t, std::int64_t> feed(const std::string& bootstrap, const std::string& topic, int partitions,
                                          const DemoOptions& options, const std::atomic<bool>& stop) {
  KafkaConf conf(rd_kafka_conf_new());
  char reason[512];
  rd_kafka_conf_set(conf.get(), "bootstrap.servers", bootstrap.c_str(), reason, sizeof reason);
  rd_kafka_conf_set(conf.get(), "linger.ms", "5", reason, sizeof reason);
  KafkaClient producer(rd_kafka_new(RD_KAFKA_PRODUCER, conf.release(), reason, sizeof reason));
  if (!producer) {
    spdlog::error("demo feeder: {}", reason);
    return {};
  }
  const auto interval = std::chrono::microseconds(1'000'000 / std::max(1U, options.rate));
  auto next = std::chrono::steady_clock::now();
  for (unsigned pass = 1; !stop.load() && (options.loops == 0 || pass <= options.loops); ++pass) {
    std::string_view posts = demo_posts();
    while (!posts.empty() && !stop.load()) {
      const auto newline = posts.find('\n');
      const std::string line = with_pass_suffix(posts.substr(0, newline), pass);
      posts = newline == std::string_view::npos ? std::string_view{} : posts.substr(newline + 1);
      if (line.empty()) continue;
      while (produce_copy(producer.get(), topic.c_str(), {}, line) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(producer.get(), 50);
      }
      rd_kafka_poll(producer.get(), 0);
      next += interval;
      std::this_thread::sleep_until(next);
    }
  }
  rd_kafka_flush(producer.get(), 10000);
  std::map<std::int32_t, std::int64_t> ends;
  for (std::int32_t partition = 0; partition < partitions; ++partition) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    if (rd_kafka_query_watermark_offsets(producer.get(), topic.c_str(), partition, &low, &high, 10000) ==
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      ends[partition] = high;
    }
  }
  return ends;
}

}  // namespace

int run_demo(const DemoOptions& options, std::ostream& out, std::ostream& err) {
  std::atomic<bool> stop{false};
  std::atomic<StreamProcessor*> running{nullptr};
  std::atomic<PatternReloader*> reloader{nullptr};
  const StopSignals signals(
      [&] {
        stop.store(true);
        if (StreamProcessor* processor = running.load()) processor->request_stop();
      },
      15000,
      [&reloader] {
        if (PatternReloader* r = reloader.load()) r->request("local:SIGHUP", true);
      });

  const std::vector<TopicDefinition> topics = embedded_topic_definitions();
  const TopicDefinition* posts = find_topic_role(topics, "posts");
  const TopicDefinition* alerts = find_topic_role(topics, "alerts");
  const TopicDefinition* dead_letters = find_topic_role(topics, "dead_letters");
  if (posts == nullptr || alerts == nullptr || dead_letters == nullptr) {
    err << "wachtpost demo: topics/topics.yaml lacks a posts, alerts or dead_letters topic\n";
    return kExitConfigError;
  }

  DeskConfig desk;
  options.serve.desk.apply_to(desk);
  try {
    validate_desk_config(desk);
  } catch (const ConfigError& e) {
    err << "wachtpost demo: " << e.what() << '\n';
    return kExitConfigError;
  }

  StreamOptions stream;
  const PatternSetLocation location{options.patterns_dir, options.protected_file, demo_registry()};
  ReloadOptions reload = reload_options(location, {});
  reload.gate.policy = parse_reload_policy(options.reload_policy).value_or(ReloadPolicy::kSingleOperator);
  reload.gate.audit_log = options.audit_log;
  reload.gate.watch_seconds = options.watch_seconds;
  try {
    stream.pattern_set = load_pattern_set(location);
  } catch (const PatternSetError& e) {
    for (const auto& problem : e.problems()) err << problem << '\n';
    err << "wachtpost demo: the pattern set is refused\n";
    return kExitConfigError;
  } catch (const std::exception& e) {
    err << "wachtpost demo: " << e.what() << '\n';
    return kExitConfigError;
  }

  // Before the desk and metrics: the desk's alert-topic reader must go
  // before the cluster it reads from.
  MockCluster cluster(3);
  cluster.create_topics(topics);
  spdlog::info("demo: mock Kafka cluster at {} (3 brokers); topics {}, {}, {}", cluster.bootstrap_servers(),
               posts->name, alerts->name, dead_letters->name);

  std::unique_ptr<Serving> serving;
  try {
    serving = std::make_unique<Serving>(options.serve, desk, *stream.pattern_set);
  } catch (const std::exception& e) {
    err << "wachtpost demo: " << e.what() << '\n';
    return kExitConfigError;
  }
  stream.metrics = serving->metrics();
  stream.on_assignment = [&serving](bool assigned) { serving->set_ready(assigned); };

  stream.config.brokers = cluster.bootstrap_servers();
  stream.config.input_topic = posts->name;
  stream.config.alert_topic = alerts->name;
  stream.config.dlq_topic = dead_letters->name;
  const TopicDefinition* shadow_alerts = find_topic_role(topics, "shadow_alerts");
  stream.config.shadow_topic = shadow_alerts == nullptr ? std::string() : shadow_alerts->name;
  stream.config.group = "wachtpost-demo";
  stream.config.workers = options.workers;
  stream.config.batch_max_ms = 100;  // a small demo stream: favour latency
  stream.instance = "demo";
  stream.on_alert_committed = [&out](std::string_view json, std::string_view, std::string_view) {
    out << json << '\n';
    out.flush();
  };
  try {
    serving->follow_alert_topic(stream.config);
  } catch (const std::exception& e) {
    err << "wachtpost demo: " << e.what() << '\n';
    return kExitIo;
  }
  std::shared_ptr<const PatternSet> live = stream.pattern_set;
  StreamProcessor processor(std::move(stream));
  const ReloadsStopper stopper(*serving);
  reloader.store(&serving->start_reloads(std::move(reload), std::move(live), processor));
  running.store(&processor);

  std::thread feeder([&] {
    auto ends = feed(cluster.bootstrap_servers(), posts->name, posts->partitions, options, stop);
    // With a fixed number of passes, stop once all of it is committed.
    if (options.loops != 0) processor.request_stop_at(std::move(ends));
  });
  int status = kExitOk;
  try {
    processor.run();
  } catch (const std::exception& e) {
    err << "wachtpost demo: " << e.what() << '\n';
    status = kExitIo;
  }
  stop.store(true);
  if (feeder.joinable()) feeder.join();
  const auto& counters = processor.counters();
  err << "wachtpost demo: " << counters.messages.load() << " posts, " << counters.alerts.load() << " alerts, "
      << counters.dead_letters.load() << " dead letters\n";
  return status;
}

}  // namespace wachtpost
