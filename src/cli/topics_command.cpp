#include "cli/topics_command.hpp"

#include <spdlog/spdlog.h>

#include <mutex>
#include <ostream>

#include "runtime/kafka_handles.hpp"
#include "runtime/topic_plan.hpp"

namespace wachtpost {

namespace {

constexpr std::string_view kCommand = "wachtpost topics apply: ";

// librdkafka prints its log lines on stderr in its own format; the errors that
// matter come through KafkaClientErrors; the rest goes to the debug log.
void client_log(const rd_kafka_t* /*rk*/, int /*level*/, const char* facility, const char* message) {
  spdlog::debug("librdkafka {}: {}", facility, message);
}

const char* action_word(const TopicPlanStep& step) {
  if (!step.error.empty()) return "failed";
  switch (step.action) {
    case TopicPlanStep::Action::kCreate: return "create";
    case TopicPlanStep::Action::kOk: return "ok";
    case TopicPlanStep::Action::kMismatch: return "mismatch";
  }
  return "?";
}

}  // namespace

std::optional<std::pair<std::string, std::string>> parse_kafka_property(std::string_view text) {
  const auto equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0) return std::nullopt;
  return std::pair<std::string, std::string>(text.substr(0, equals), text.substr(equals + 1));
}

int run_topics_apply(const TopicsApplyOptions& options, std::ostream& out, std::ostream& err) {
  std::vector<TopicDefinition> topics;
  try {
    topics = load_topic_definitions_file(options.definitions_file);
  } catch (const std::exception& e) {
    err << kCommand << e.what() << '\n';
    return kExitConfigError;
  }
  if (options.brokers.empty()) {
    err << kCommand << "--brokers is required\n";
    return kExitConfigError;
  }
  if (options.timeout_ms < 1) {
    err << kCommand << "--timeout-ms must be positive\n";
    return kExitConfigError;
  }

  KafkaClientErrors client_errors;  // outlives the client, which reports into it
  KafkaConf conf(rd_kafka_conf_new());
  char reason[512];
  // The extra properties first, so --brokers always wins over a stray
  // bootstrap.servers among them.
  auto properties = options.properties;
  properties.emplace_back("bootstrap.servers", options.brokers);
  for (const auto& [key, value] : properties) {
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), reason, sizeof reason) != RD_KAFKA_CONF_OK) {
      err << kCommand << "librdkafka property '" << key << "': " << reason << '\n';
      return kExitConfigError;
    }
  }
  rd_kafka_conf_set_opaque(conf.get(), &client_errors);
  rd_kafka_conf_set_error_cb(conf.get(), &KafkaClientErrors::on_error);
  rd_kafka_conf_set_log_cb(conf.get(), &client_log);
  // The admin client is a producer that never produces: the usual choice, as
  // it joins no group and fetches nothing.
  KafkaClient client(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), reason, sizeof reason));
  if (!client) {
    err << kCommand << "cannot create Kafka client: " << reason << '\n';
    return kExitConfigError;
  }
  static_cast<void>(conf.release());  // rd_kafka_new owns it now

  std::vector<TopicPlanStep> steps;
  try {
    steps = options.dry_run ? plan_topics(client.get(), topics, options.timeout_ms)
                            : apply_topics(client.get(), topics, options.timeout_ms);
  } catch (const std::exception& e) {
    rd_kafka_poll(client.get(), 0);  // serves the queued error reports to KafkaClientErrors
    err << kCommand << "cannot reach the cluster at " << options.brokers << ": " << e.what();
    if (const std::string detail = client_errors.first(); !detail.empty()) err << " (" << detail << ")";
    err << '\n';
    return kExitIo;
  }

  std::size_t to_create = 0;
  std::size_t ok = 0;
  std::size_t mismatched = 0;
  std::size_t failed = 0;
  for (const auto& step : steps) {
    out << action_word(step) << ' ' << step.topic << ' ' << step.detail;
    if (!step.error.empty()) out << ": " << step.error;
    out << '\n';
    if (!step.error.empty()) {
      ++failed;
    } else if (step.action == TopicPlanStep::Action::kCreate) {
      ++to_create;
    } else if (step.action == TopicPlanStep::Action::kOk) {
      ++ok;
    } else {
      ++mismatched;
    }
  }
  out.flush();
  err << kCommand << options.brokers << ": ";
  if (options.dry_run) {
    err << "dry run, nothing changed: " << to_create << " to create, ";
  } else {
    err << to_create << " created, ";
  }
  err << ok << " as defined, " << mismatched << " mismatched";
  if (!options.dry_run) err << ", " << failed << " failed";
  err << '\n';
  if (mismatched > 0) {
    // Never changed automatically: fewer partitions is impossible in Kafka,
    // more re-hashes keyed posts and alerts, and a config change is a decision.
    err << kCommand << "mismatches are left as they are; change them deliberately (kafka-topics.sh --alter, "
        << "kafka-configs.sh) or fix the definitions\n";
  }
  return mismatched > 0 || failed > 0 ? kExitRejectedInput : kExitOk;
}

}  // namespace wachtpost
