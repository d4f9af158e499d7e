#include "runtime/run_config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <system_error>

#include "rules/rule.hpp"
#include "runtime/kafka_handles.hpp"

namespace wachtpost {

namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------
// Limits and managed properties

using Limit = ConfigRange;

constexpr Limit kWorkersLimit{"workers", 0, 1024};
constexpr Limit kBatchMessagesLimit{"batch.max_messages", 1, 1'000'000};
// Collecting a batch is not part of its transaction, so this bound is independent of transaction.timeout.ms.
constexpr Limit kBatchMsLimit{"batch.max_ms", 1, 60'000};
constexpr Limit kBatchLingerLimit{"batch.linger_ms", 0, 60'000};
constexpr Limit kQueueMessagesLimit{"queue_max_messages", 1, 10'000'000};
// The same bounds as `wachtpost scan --max-post-bytes`.
constexpr Limit kPostBytesLimit{"max_post_bytes", 64, std::uint64_t{64} << 20};
constexpr Limit kShutdownLimit{"shutdown_timeout_ms", 1, 600'000};
constexpr Limit kRotationLimit{"pseudonym.rotation_hours", 1, std::uint64_t{24} * 366};
// A day at most: a slower watch is no watch, and a typo in minutes
// (watch_seconds: 3600000) should not pass as "hourly".
constexpr Limit kWatchLimit{"reload.watch_seconds", 0, 86'400};
// Shares of the labelled corpus (reload.min_recall, reload.max_false_alerts).
constexpr std::string_view kMinRecallKey = "reload.min_recall";
constexpr std::string_view kMaxFalseAlertsKey = "reload.max_false_alerts";

constexpr std::array<std::pair<ReloadPolicy, std::string_view>, 2> kReloadPolicies{{
    {ReloadPolicy::kFourEyes, "four-eyes"},
    {ReloadPolicy::kSingleOperator, "single-operator"},
}};

struct ManagedProperty {
  std::string_view key;
  std::string_view why;
};

constexpr std::string_view kOffsetsInTransaction =
    "input offsets are committed inside each batch's output transaction, never on their own";
constexpr std::string_view kAcksAll = "the idempotent producer that exactly-once rests on needs acks=all";

// Exactly-once output rests on these; an operator's value would either be
// overwritten or break it, so setting one is an error rather than a surprise.
constexpr std::array<ManagedProperty, 15> kManagedProperties{{
    {"bootstrap.servers", "set it with brokers: (or --brokers)"},
    {"metadata.broker.list", "set it with brokers: (or --brokers)"},
    {"group.id", "set it with group:"},
    {"transactional.id",
     "set it with transactional_id: (wachtpost appends the instance name, so a restarted instance fences its "
     "predecessor)"},
    {"enable.idempotence", "exactly-once output needs the idempotent, transactional producer"},
    {"acks", kAcksAll},
    {"request.required.acks", kAcksAll},
    {"enable.auto.commit", kOffsetsInTransaction},
    {"auto.commit.enable", kOffsetsInTransaction},
    {"enable.auto.offset.store", kOffsetsInTransaction},
    {"isolation.level", "wachtpost reads read_committed, so output of aborted transactions is never read"},
    {"partition.assignment.strategy",
     "wachtpost uses cooperative-sticky: its rebalance handling assigns and revokes partitions incrementally"},
    {"enable.partition.eof", "exit_at_eof depends on end-of-partition events"},
    {"auto.offset.reset", "wachtpost uses earliest: a new group starts at the oldest post, so none is skipped"},
    {"queued.min.messages",
     "set it with queue_max_messages: (librdkafka's prefetch is the bounded queue in front of each batch)"},
}};

const ManagedProperty* find_managed(std::string_view key) {
  const auto it = std::find_if(kManagedProperties.begin(), kManagedProperties.end(),
                               [&](const ManagedProperty& managed) { return managed.key == key; });
  return it == kManagedProperties.end() ? nullptr : &*it;
}

// ---------------------------------------------------------------------------
// Text helpers

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

// " (did you mean 'x'?)" for a near miss, else nothing. Only close names are
// offered: a far-fetched guess misleads more than it helps.
template <typename Names>
std::string did_you_mean(std::string_view key, const Names& names) {
  std::string_view best;
  std::size_t best_distance = std::min<std::size_t>(3, key.size() / 3 + 1);
  for (const auto& name : names) {
    const std::size_t distance = edit_distance(key, name);
    if (distance < best_distance) {
      best_distance = distance;
      best = name;
    }
  }
  return best.empty() ? std::string() : " (did you mean '" + std::string(best) + "'?)";
}

// Keys whose values are credentials. Their values never reach a message,
// which ends up in logs that more people read than the config file.
bool is_secret_key(std::string_view key) {
  std::string lower(key);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const std::string_view needle : {"password", "secret", "sasl.oauthbearer.config", "ssl.key"}) {
    if (lower.find(needle) != std::string::npos) return true;
  }
  return false;
}

// librdkafka quotes the value it refuses; for a secret key every copy of the
// value is blanked out of its message.
std::string hide_secret(std::string message, std::string_view key, std::string_view value) {
  if (!is_secret_key(key) || value.empty()) return message;
  constexpr std::string_view kHidden = "(hidden)";
  for (auto at = message.find(value); at != std::string::npos; at = message.find(value, at + kHidden.size())) {
    message.replace(at, value.size(), kHidden);
  }
  return message;
}

std::string quoted_value(std::string_view key, std::string_view value) {
  return is_secret_key(key) ? std::string("(value hidden)") : "'" + std::string(value) + "'";
}

// ---------------------------------------------------------------------------
// librdkafka's property table

enum class PropertyScope : std::uint8_t { kAny, kConsumer, kProducer };
enum class PropertyType : std::uint8_t { kInteger, kFloat, kOther };

struct PropertyInfo {
  PropertyScope scope = PropertyScope::kAny;
  PropertyType type = PropertyType::kOther;
};

using PropertyTable = std::map<std::string, PropertyInfo, std::less<>>;

struct StdioCloser {
  void operator()(std::FILE* stream) const { std::fclose(stream); }  // NOLINT(cppcoreguidelines-owning-memory)
};
struct MallocFree {
  // NOLINTNEXTLINE(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory): allocated by open_memstream
  void operator()(char* memory) const { std::free(memory); }
};

// rd_kafka_conf_set checks names and values, but not which client a property
// is for: a consumer property on a producer configuration is accepted and
// later ignored with a log line. The table librdkafka prints (the one its
// CONFIGURATION.md is generated from) is its only public record of scope and
// type, so it is read from the linked library itself rather than copied.
PropertyTable read_property_table() {
  std::unique_ptr<char, MallocFree> buffer;  // declared first: freed after the stream is closed
  char* raw = nullptr;
  std::size_t size = 0;
  {
    const std::unique_ptr<std::FILE, StdioCloser> stream(open_memstream(&raw, &size));
    if (!stream) return {};
    rd_kafka_conf_properties_show(stream.get());
  }  // fclose publishes raw and size
  buffer.reset(raw);
  if (raw == nullptr) return {};

  PropertyTable table;
  std::istringstream lines(std::string(raw, size));
  std::string line;
  // Rows: "name | C/P | range | default | importance | description <br>*Type: integer*"
  while (std::getline(lines, line)) {
    const auto first_bar = line.find('|');
    if (first_bar == std::string::npos) continue;
    const auto second_bar = line.find('|', first_bar + 1);
    if (second_bar == std::string::npos) continue;
    const std::string_view name = trim(std::string_view(line).substr(0, first_bar));
    const std::string_view scope = trim(std::string_view(line).substr(first_bar + 1, second_bar - first_bar - 1));
    PropertyInfo info;
    if (scope == "C") {
      info.scope = PropertyScope::kConsumer;
    } else if (scope == "P") {
      info.scope = PropertyScope::kProducer;
    } else if (scope != "*") {
      continue;  // the header row
    }
    constexpr std::string_view kTypeMark = "*Type: ";
    if (const auto type_at = line.find(kTypeMark); type_at != std::string::npos) {
      const std::string_view rest = std::string_view(line).substr(type_at + kTypeMark.size());
      const std::string_view type = rest.substr(0, rest.find('*'));
      if (type == "integer") info.type = PropertyType::kInteger;
      if (type == "float") info.type = PropertyType::kFloat;
    }
    table.emplace(name, info);  // the first row wins: global properties come before topic properties
  }
  return table;
}

const PropertyTable& property_table() {
  static const PropertyTable table = read_property_table();
  return table;
}

// librdkafka reads integers with strtol(base 0) and casts to int, silently:
// "1e3" is 1, "50MB" is 50, "010" is 8, 4294967297 is 1. Only plain decimal
// that fits an int is let through; what librdkafka cannot read at all is left
// to its own message.
std::optional<std::string> integer_problem(std::string_view key, const std::string& value) {
  std::string_view digits = value;
  if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
  const bool plain = !digits.empty() &&
                     std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                     (digits.size() == 1 || digits.front() != '0');
  if (plain) {
    long long number = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (error != std::errc() || number < INT_MIN || number > INT_MAX) {
      return "value " + quoted_value(key, value) + " does not fit librdkafka's integer (" + std::to_string(INT_MIN) +
             " to " + std::to_string(INT_MAX) + ")";
    }
    return std::nullopt;
  }
  char* end = nullptr;
  const long read = std::strtol(value.c_str(), &end, 0);
  if (end == value.c_str()) return std::nullopt;
  std::string message = "value " + quoted_value(key, value) + " is not a whole number in plain decimal";
  if (!is_secret_key(key)) {
    message += " (librdkafka would quietly read it as " + std::to_string(static_cast<int>(read)) + ")";
  }
  return message;
}

// Floats are read with strtod, which also stops at the first character it
// does not understand ("20ms" is 20).
std::optional<std::string> float_problem(std::string_view key, const std::string& value) {
  char* end = nullptr;
  const double read = std::strtod(value.c_str(), &end);
  if (end == value.c_str() || *end == '\0') return std::nullopt;
  std::string message = "value " + quoted_value(key, value) + " is not a plain number";
  if (!is_secret_key(key)) {
    std::ostringstream text;
    text << read;
    message += " (librdkafka would quietly read it as " + text.str() + ")";
  }
  return message;
}

// ---------------------------------------------------------------------------
// Problems and places

class Problems {
 public:
  void add(const std::optional<SourceLocation>& where, const std::string& message) {
    list_.emplace_back(where ? where->line : 0, where ? where->str() + ": " + message : message);
  }
  // In file order, whichever check found them.
  void throw_if_any() {
    if (list_.empty()) return;
    std::stable_sort(list_.begin(), list_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string text;
    for (const auto& [line, problem] : list_) {
      if (!text.empty()) text += '\n';
      text += problem;
    }
    throw ConfigError(text);
  }

 private:
  std::vector<std::pair<int, std::string>> list_;  // line (0: none), message
};

// Where each setting was written, so that checks shared by the loader and
// validate_run_config can name the line. Empty for a RunConfig built in code.
struct Places {
  std::string file;
  std::map<std::string, SourceLocation, std::less<>> keys;  // "topics.input" -> where
  std::vector<SourceLocation> kafka;                        // parallel to RunConfig::kafka
  std::vector<SourceLocation> consumer;
  std::vector<SourceLocation> producer;

  // A check about a default value still names the file: the line of the
  // enclosing mapping ("topics:" for topics.input) if written, else line 1.
  [[nodiscard]] std::optional<SourceLocation> at(std::string_view key) const {
    if (file.empty()) return std::nullopt;
    if (const auto it = keys.find(key); it != keys.end()) return it->second;
    if (const auto it = keys.find(key.substr(0, key.find('.'))); it != keys.end()) return it->second;
    return SourceLocation{file, 1};
  }
  [[nodiscard]] std::optional<SourceLocation> at(const std::vector<SourceLocation>& lines, std::size_t index) const {
    if (index < lines.size()) return lines[index];
    return at(std::string_view());
  }
  [[nodiscard]] bool written(std::string_view key) const { return keys.find(key) != keys.end(); }
};

// ---------------------------------------------------------------------------
// Checks shared by load_run_config and validate_run_config

std::optional<std::string> topic_name_problem(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 249) return "is longer than Kafka's limit of 249 characters";
  const bool legal = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
  if (!legal || name == "." || name == "..") {
    return "'" + std::string(name) + "' is not a legal Kafka topic name (letters, digits, '.', '_' and '-' only)";
  }
  return std::nullopt;
}

void check_topics(const RunConfig& config, const Places& places, Problems& problems) {
  const std::array<std::pair<std::string_view, const std::string*>, 4> topics{{
      {"topics.input", &config.input_topic},
      {"topics.alerts", &config.alert_topic},
      {"topics.dead_letters", &config.dlq_topic},
      {"topics.shadow_alerts", &config.shadow_topic},
  }};
  for (const auto& [key, name] : topics) {
    // An empty shadow topic turns shadow mode off (a proposed set then waits
    // for approval without running on live posts); every other topic is required.
    if (name == &config.shadow_topic && name->empty()) continue;
    if (const auto problem = topic_name_problem(*name)) {
      problems.add(places.at(key), std::string(key) + ": " + *problem);
    }
  }
  for (std::size_t i = 0; i < topics.size(); ++i) {
    for (std::size_t j = i + 1; j < topics.size(); ++j) {
      if (topics[i].second->empty() || *topics[i].second != *topics[j].second) continue;
      const std::string_view key = places.written(topics[j].first) ? topics[j].first : topics[i].first;
      problems.add(places.at(key), std::string(topics[j].first) + " is the same topic as " +
                                       std::string(topics[i].first) + " ('" + *topics[i].second +
                                       "'): input, alerts, dead letters and shadow alerts must be different "
                                       "topics");
    }
  }
}

void check_limit(const Limit& limit, std::uint64_t value, const Places& places, Problems& problems) {
  if (value >= limit.min && value <= limit.max) return;
  problems.add(places.at(limit.key), std::string(limit.key) + ": " + std::to_string(value) + " is out of range (" +
                                         std::to_string(limit.min) + " to " + std::to_string(limit.max) + ")");
}

// A share from 0 to 1; written so that NaN fails too.
void check_fraction(std::string_view key, double value, const Places& places, Problems& problems) {
  if (value >= 0.0 && value <= 1.0) return;
  std::ostringstream text;
  text << value;
  problems.add(places.at(key), std::string(key) + ": " + text.str() + " is out of range (0 to 1)");
}

struct Section {
  std::string_view name;
  const KafkaProperties& properties;
  const std::vector<SourceLocation>& lines;
  PropertyScope scope;
};

// Problems that do not depend on the client: a managed key, a property for the
// other client, a number librdkafka would misread. Returns false for a
// property that must not go on to rd_kafka_conf_set (it is already reported).
bool check_property(const Section& section, std::size_t index, const Places& places, Problems& problems) {
  const auto& [key, value] = section.properties[index];
  const auto where = places.at(section.lines, index);
  const std::string what = std::string(section.name) + ": " + key + ": ";
  if (const ManagedProperty* managed = find_managed(key)) {
    problems.add(where, what + "set by wachtpost itself: " + std::string(managed->why));
    return false;
  }
  const PropertyTable& table = property_table();
  const auto info = table.find(key);
  if (info == table.end()) return true;  // unknown to the table: rd_kafka_conf_set decides
  const PropertyScope scope = info->second.scope;
  if (scope != PropertyScope::kAny && scope != section.scope) {
    const std::string_view owner = scope == PropertyScope::kConsumer ? "consumer" : "producer";
    const std::string_view other = scope == PropertyScope::kConsumer ? "producer" : "consumer";
    problems.add(where, what + "a " + std::string(owner) + " property; librdkafka would ignore it in the " +
                            std::string(other) + " and only log a warning, so put it under " + std::string(owner) +
                            ":");
    return false;
  }
  std::optional<std::string> number;
  if (info->second.type == PropertyType::kInteger) number = integer_problem(key, value);
  if (info->second.type == PropertyType::kFloat) number = float_problem(key, value);
  if (number) {
    problems.add(where, what + *number);
    return false;
  }
  return true;
}

// Sets a section's properties on a scratch configuration, in file order, as
// the runtime will on the real one.
void apply_section(rd_kafka_conf_t* conf, const Section& section, const std::vector<bool>& accepted, bool report,
                   const Places& places, Problems& problems) {
  for (std::size_t i = 0; i < section.properties.size(); ++i) {
    if (!accepted[i]) continue;
    const auto& [key, value] = section.properties[i];
    std::array<char, 512> error{};
    const rd_kafka_conf_res_t result = rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error.data(), error.size());
    // Only the result code counts: for a topic-level property (auto.offset.reset,
    // message.timeout.ms) librdkafka first tries the global table, leaves its
    // "No such configuration property" in the buffer and then succeeds on the
    // default topic configuration.
    if (result == RD_KAFKA_CONF_OK || !report) continue;
    std::string message(trim(error.data()));
    if (message.empty()) message = "refused by librdkafka";
    if (result == RD_KAFKA_CONF_UNKNOWN) {
      std::vector<std::string_view> names;
      for (const auto& entry : property_table()) names.emplace_back(entry.first);
      message += did_you_mean(key, names);
    }
    problems.add(places.at(section.lines, i),
                 std::string(section.name) + ": " + key + ": " + hide_secret(std::move(message), key, value));
  }
}

void check_passthrough(const RunConfig& config, const Places& places, Problems& problems) {
  const Section kafka{"kafka", config.kafka, places.kafka, PropertyScope::kAny};
  const Section consumer{"consumer", config.consumer, places.consumer, PropertyScope::kConsumer};
  const Section producer{"producer", config.producer, places.producer, PropertyScope::kProducer};
  const auto accepted_of = [&](const Section& section) {
    std::vector<bool> accepted(section.properties.size());
    for (std::size_t i = 0; i < accepted.size(); ++i) accepted[i] = check_property(section, i, places, problems);
    return accepted;
  };
  const std::vector<bool> kafka_accepted = accepted_of(kafka);
  // Each client's scratch configuration gets what the real one will get, in
  // the same order: a property can depend on an earlier one (an interceptor
  // loaded by plugin.library.paths adds its own). The shared section is
  // reported once, with the consumer.
  bool first_client = true;
  for (const Section* client : {&consumer, &producer}) {
    const std::vector<bool> accepted = accepted_of(*client);
    const KafkaConf scratch(rd_kafka_conf_new());
    apply_section(scratch.get(), kafka, kafka_accepted, first_client, places, problems);
    apply_section(scratch.get(), *client, accepted, true, places, problems);
    first_client = false;
  }
}

// `complete`: flags have been applied, so a certificate without its key (or
// the other way round) is final.
void check_desk(const DeskConfig& desk, const Places& places, bool complete, Problems& problems) {
  check_limit(kDeskMaxConnectionsRange, desk.max_connections, places, problems);
  check_limit(kDeskIdleTimeoutRange, desk.idle_timeout_seconds, places, problems);
  check_limit(kDeskMaxHeaderBytesRange, desk.max_header_bytes, places, problems);
  check_limit(kDeskMaxBodyBytesRange, desk.max_body_bytes, places, problems);
  if (!complete || desk.tls_cert.empty() == desk.tls_key.empty()) return;
  const std::string_view given = desk.tls_cert.empty() ? "desk.tls_key" : "desk.tls_cert";
  const std::string_view missing = desk.tls_cert.empty() ? "desk.tls_cert" : "desk.tls_key";
  problems.add(places.at(given), std::string(given) + " is set but " + std::string(missing) +
                                     " is not: the desk's certificate and key go together (--desk-tls-cert, "
                                     "--desk-tls-key)");
}

void check_config(const RunConfig& config, const Places& places, bool require_brokers, Problems& problems) {
  if (require_brokers && trim(config.brokers).empty()) {
    // Checked once flags are applied: the place is the file that should have
    // set them (its line 1 when it has no brokers: key, as for any default).
    auto where = places.at("brokers");
    if (!where && !config.source_file.empty()) where = SourceLocation{config.source_file, 1};
    problems.add(where, "brokers: not set; give the bootstrap servers (host:port,...) in the file or with --brokers");
  }
  check_topics(config, places, problems);
  if (config.group.empty()) problems.add(places.at("group"), "group: must not be empty");
  if (config.transactional_id.empty()) {
    problems.add(places.at("transactional_id"), "transactional_id: must not be empty");
  }
  check_limit(kWorkersLimit, config.workers, places, problems);
  check_limit(kBatchMessagesLimit, config.batch_max_messages, places, problems);
  check_limit(kBatchMsLimit, config.batch_max_ms, places, problems);
  check_limit(kBatchLingerLimit, config.batch_linger_ms, places, problems);
  check_limit(kQueueMessagesLimit, config.queue_max_messages, places, problems);
  check_limit(kPostBytesLimit, config.max_post_bytes, places, problems);
  check_limit(kShutdownLimit, config.shutdown_timeout_ms, places, problems);
  check_limit(kRotationLimit, config.pseudonym_rotation_hours, places, problems);
  check_limit(kWatchLimit, config.reload.watch_seconds, places, problems);
  check_fraction(kMinRecallKey, config.reload.min_recall, places, problems);
  check_fraction(kMaxFalseAlertsKey, config.reload.max_false_alerts, places, problems);
  check_desk(config.desk, places, /*complete=*/require_brokers, problems);
  check_passthrough(config, places, problems);
}

// ---------------------------------------------------------------------------
// Reading the YAML file

std::string_view kind_of(const YAML::Node& node) {
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  if (node.IsNull()) return "nothing";
  return "a single value";
}

bool is_yaml_true(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  return text == "true" || text == "True" || text == "TRUE";
}
bool is_yaml_false(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  return text == "false" || text == "False" || text == "FALSE";
}

constexpr std::array<std::string_view, 18> kTopLevelKeys{
    "brokers",
    "topics",
    "group",
    "transactional_id",
    "patterns",
    "protected",
    "workers",
    "batch",
    "queue_max_messages",
    "max_post_bytes",
    "shutdown_timeout_ms",
    "exit_at_eof",
    "pseudonym",
    "reload",
    "desk",
    "kafka",
    "consumer",
    "producer",
};
constexpr std::array<std::string_view, 4> kTopicKeys{"input", "alerts", "dead_letters", "shadow_alerts"};
constexpr std::array<std::string_view, 3> kBatchKeys{"max_messages", "max_ms", "linger_ms"};
constexpr std::array<std::string_view, 2> kPseudonymKeys{"key_file", "rotation_hours"};
constexpr std::array<std::string_view, 6> kDeskKeys{
    "max_connections", "idle_timeout_seconds", "max_header_bytes", "max_body_bytes", "tls_cert", "tls_key"};
constexpr std::array<std::string_view, 6> kReloadKeys{"policy", "audit_log",  "watch_seconds",
                                                      "corpus", "min_recall", "max_false_alerts"};

class ConfigReader {
 public:
  ConfigReader(Places& places, Problems& problems, fs::path folder)
      : places_(places), problems_(problems), folder_(std::move(folder)) {}

  void read(const YAML::Node& root, RunConfig& config);

 private:
  SourceLocation where(const YAML::Node& node, const SourceLocation& fallback) const {
    return node.Mark().line >= 0 ? SourceLocation{places_.file, node.Mark().line + 1} : fallback;
  }
  void add(const SourceLocation& at, const std::string& message) { problems_.add(at, message); }

  // Calls visit(key, where, value) for each entry of a mapping in file order.
  // Keys that are not plain text and repeated keys are reported and skipped:
  // YAML parsers disagree on which of two equal keys wins.
  template <typename Visit>
  void for_each_entry(const YAML::Node& map, std::string_view what, const Visit& visit) {
    std::map<std::string, int, std::less<>> seen;
    for (const auto& entry : map) {
      const SourceLocation at = where(entry.first, where(map, {places_.file, 1}));
      if (!entry.first.IsScalar()) {
        add(at, std::string(what) + "a key must be a plain name, not " + std::string(kind_of(entry.first)));
        continue;
      }
      const std::string& key = entry.first.Scalar();
      const auto [first, inserted] = seen.emplace(key, at.line);
      if (!inserted) {
        add(at,
            std::string(what) + "duplicate key '" + key + "' (first at line " + std::to_string(first->second) + ")");
        continue;
      }
      visit(key, at, entry.second);
    }
  }

  bool expect_map(const YAML::Node& value, const SourceLocation& at, std::string_view key, std::string_view keys) {
    if (value.IsMap()) return true;
    add(where(value, at),
        std::string(key) + ": expected a mapping (" + std::string(keys) + "), not " + std::string(kind_of(value)));
    return false;
  }

  template <typename Names>
  void unknown_key(const std::string& key, const SourceLocation& at, std::string_view prefix, const Names& known) {
    std::string message = std::string(prefix) + "unknown key '" + key + "'" + did_you_mean(key, known);
    if (prefix.empty() && property_table().contains(key)) {
      message += "; '" + key + "' is a librdkafka property: put it under kafka:, consumer: or producer:";
    }
    add(at, message);
  }

  void read_string(const YAML::Node& value, const SourceLocation& at, std::string_view key, std::string& out) {
    if (!value.IsScalar()) {
      add(where(value, at), std::string(key) + ": expected a text value, not " + std::string(kind_of(value)));
      return;
    }
    out = value.Scalar();
  }

  // An empty value means "none" (the embedded set, no registry, no key); a
  // relative path is taken from the config file's folder, not from wherever
  // wachtpost happens to be started.
  void read_path(const YAML::Node& value, const SourceLocation& at, std::string_view key, std::string& out) {
    std::string text;
    read_string(value, at, key, text);
    const fs::path path(text);
    out = text.empty() || path.is_absolute() ? text : (folder_ / path).lexically_normal().string();
  }

  template <typename T>
  void read_number(const YAML::Node& value, const SourceLocation& at, const Limit& limit, T& out) {
    const SourceLocation value_at = where(value, at);
    const std::string range = std::to_string(limit.min) + " to " + std::to_string(limit.max);
    if (!value.IsScalar()) {
      add(value_at,
          std::string(limit.key) + ": expected a whole number (" + range + "), not " + std::string(kind_of(value)));
      return;
    }
    const std::string& text = value.Scalar();
    std::uint64_t number = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (text.empty() || end != text.data() + text.size() || error == std::errc::invalid_argument) {
      add(value_at, std::string(limit.key) + ": expected a whole number (" + range + "), got '" + text + "'");
      return;
    }
    if (error == std::errc::result_out_of_range || number < limit.min || number > limit.max) {
      add(value_at, std::string(limit.key) + ": " + text + " is out of range (" + range + ")");
      return;
    }
    out = static_cast<T>(number);
  }

  // A share from 0 to 1 in plain decimal ("0.9", "1", "5e-2"); "90%" or
  // "high" are refused rather than read as far as they make sense.
  void read_fraction(const YAML::Node& value, const SourceLocation& at, std::string_view key, double& out) {
    const SourceLocation value_at = where(value, at);
    if (!value.IsScalar()) {
      add(value_at, std::string(key) + ": expected a number from 0 to 1, not " + std::string(kind_of(value)));
      return;
    }
    const std::string& text = value.Scalar();
    double number = 0.0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    // from_chars also reads "nan" and "inf"; neither is a share.
    if (text.empty() || end != text.data() + text.size() || error != std::errc() || !std::isfinite(number)) {
      add(value_at, std::string(key) + ": expected a number from 0 to 1, got '" + text + "'");
      return;
    }
    if (number < 0.0 || number > 1.0) {
      add(value_at, std::string(key) + ": " + text + " is out of range (0 to 1)");
      return;
    }
    out = number;
  }

  void read_bool(const YAML::Node& value, const SourceLocation& at, std::string_view key, bool& out) {
    if (value.IsScalar() && is_yaml_true(value)) {
      out = true;
    } else if (value.IsScalar() && is_yaml_false(value)) {
      out = false;
    } else {
      add(where(value, at), std::string(key) + ": expected true or false, not " +
                                (value.IsScalar() ? "'" + value.Scalar() + "'" : std::string(kind_of(value))));
    }
  }

  // A single "host:port,host:port" or a list of host:port.
  void read_brokers(const YAML::Node& value, const SourceLocation& at, std::string& out) {
    if (!value.IsSequence()) {
      read_string(value, at, "brokers", out);
      return;
    }
    std::string joined;
    for (const auto& item : value) {
      if (!item.IsScalar()) {
        add(where(item, at), "brokers: list items must be host:port, not " + std::string(kind_of(item)));
        return;
      }
      if (!joined.empty()) joined += ',';
      joined += item.Scalar();
    }
    out = std::move(joined);
  }

  void read_properties(const YAML::Node& value, const SourceLocation& at, std::string_view section,
                       KafkaProperties& out, std::vector<SourceLocation>& lines);

  void read_topics(const YAML::Node& value, const SourceLocation& at, RunConfig& config);
  void read_batch(const YAML::Node& value, const SourceLocation& at, RunConfig& config);
  void read_pseudonym(const YAML::Node& value, const SourceLocation& at, RunConfig& config);
  void read_reload(const YAML::Node& value, const SourceLocation& at, ReloadConfig& reload);
  void read_desk(const YAML::Node& value, const SourceLocation& at, DeskConfig& desk);
  void read_policy(const YAML::Node& value, const SourceLocation& at, ReloadPolicy& out);
  void read_corpus(const YAML::Node& value, const SourceLocation& at, std::vector<std::string>& out);

  Places& places_;
  Problems& problems_;
  fs::path folder_;
};

void ConfigReader::read_properties(const YAML::Node& value, const SourceLocation& at, std::string_view section,
                                   KafkaProperties& out, std::vector<SourceLocation>& lines) {
  if (!expect_map(value, at, section, "librdkafka property: value")) return;
  const std::string prefix = std::string(section) + ": ";
  for_each_entry(value, prefix, [&](const std::string& key, const SourceLocation& key_at, const YAML::Node& item) {
    // Values are never quoted in these messages: this is where credentials live.
    const std::string what = prefix + key + ": ";
    if (item.IsNull()) {
      add(key_at, what + "has no value (write '' for an empty string)");
      return;
    }
    if (item.IsMap()) {
      add(key_at, what + "expected a string, number or boolean, not a mapping (write nested names dotted, as in " +
                      "sasl.mechanism)");
      return;
    }
    if (!item.IsScalar()) {
      add(key_at, what + "expected a string, number or boolean, not " + std::string(kind_of(item)) +
                      " (write a list as one comma-separated string)");
      return;
    }
    // A plain YAML boolean becomes librdkafka's spelling; every other scalar,
    // numbers included, goes through as written.
    std::string text = item.Scalar();
    if (item.Tag() == "?") {
      if (is_yaml_true(item)) text = "true";
      if (is_yaml_false(item)) text = "false";
    }
    out.emplace_back(key, std::move(text));
    lines.push_back(key_at);
  });
}

void ConfigReader::read_topics(const YAML::Node& value, const SourceLocation& at, RunConfig& config) {
  if (!expect_map(value, at, "topics", "input, alerts, dead_letters, shadow_alerts")) return;
  for_each_entry(value, "topics: ", [&](const std::string& key, const SourceLocation& key_at, const YAML::Node& item) {
    places_.keys["topics." + key] = key_at;
    if (item.IsNull()) return;
    if (key == "input") {
      read_string(item, key_at, "topics.input", config.input_topic);
    } else if (key == "alerts") {
      read_string(item, key_at, "topics.alerts", config.alert_topic);
    } else if (key == "dead_letters") {
      read_string(item, key_at, "topics.dead_letters", config.dlq_topic);
    } else if (key == "shadow_alerts") {
      read_string(item, key_at, "topics.shadow_alerts", config.shadow_topic);  // '': no shadow topic
    } else {
      unknown_key(key, key_at, "topics: ", kTopicKeys);
    }
  });
}

void ConfigReader::read_batch(const YAML::Node& value, const SourceLocation& at, RunConfig& config) {
  if (!expect_map(value, at, "batch", "max_messages, max_ms, linger_ms")) return;
  for_each_entry(value, "batch: ", [&](const std::string& key, const SourceLocation& key_at, const YAML::Node& item) {
    places_.keys["batch." + key] = key_at;
    if (item.IsNull()) return;
    if (key == "max_messages") {
      read_number(item, key_at, kBatchMessagesLimit, config.batch_max_messages);
    } else if (key == "max_ms") {
      read_number(item, key_at, kBatchMsLimit, config.batch_max_ms);
    } else if (key == "linger_ms") {
      read_number(item, key_at, kBatchLingerLimit, config.batch_linger_ms);
    } else {
      unknown_key(key, key_at, "batch: ", kBatchKeys);
    }
  });
}

void ConfigReader::read_pseudonym(const YAML::Node& value, const SourceLocation& at, RunConfig& config) {
  if (!expect_map(value, at, "pseudonym", "key_file, rotation_hours")) return;
  for_each_entry(value,
                 "pseudonym: ", [&](const std::string& key, const SourceLocation& key_at, const YAML::Node& item) {
                   places_.keys["pseudonym." + key] = key_at;
                   if (item.IsNull()) return;
                   if (key == "key_file") {
                     read_path(item, key_at, "pseudonym.key_file", config.pseudonym_key_file);
                   } else if (key == "rotation_hours") {
                     read_number(item, key_at, kRotationLimit, config.pseudonym_rotation_hours);
                   } else {
                     unknown_key(key, key_at, "pseudonym: ", kPseudonymKeys);
                   }
                 });
}

void ConfigReader::read_reload(const YAML::Node& value, const SourceLocation& at, ReloadConfig& reload) {
  if (!expect_map(value, at, "reload", "policy, audit_log, watch_seconds, corpus, min_recall, max_false_alerts")) {
    return;
  }
  for_each_entry(value, "reload: ", [&](const std::string& key, const SourceLocation& key_at, const YAML::Node& item) {
    places_.keys["reload." + key] = key_at;
    if (item.IsNull()) return;
    if (key == "policy") {
      read_policy(item, key_at, reload.policy);
    } else if (key == "audit_log") {
      read_path(item, key_at, "reload.audit_log", reload.audit_log);
    } else if (key == "watch_seconds") {
      read_number(item, key_at, kWatchLimit, reload.watch_seconds);
    } else if (key == "corpus") {
      read_corpus(item, key_at, reload.corpus);
    } else if (key == "min_recall") {
      read_fraction(item, key_at, kMinRecallKey, reload.min_recall);
    } else if (key == "max_false_alerts") {
      read_fraction(item, key_at, kMaxFalseAlertsKey, reload.max_false_alerts);
    } else {
      unknown_key(key, key_at, "reload: ", kReloadKeys);
    }
  });
}

void ConfigReader::read_desk(const YAML::Node& value, const SourceLocation& at, DeskConfig& desk) {
  if (!expect_map(value, at, "desk",
                  "max_connections, idle_timeout_seconds, max_header_bytes, max_body_bytes, tls_cert, tls_key")) {
    return;
  }
  for_each_entry(value, "desk: ", [&](const std::string& key, const SourceLocation& key_at, const YAML::Node& item) {
    places_.keys["desk." + key] = key_at;
    if (item.IsNull()) return;
    if (key == "max_connections") {
      read_number(item, key_at, kDeskMaxConnectionsRange, desk.max_connections);
    } else if (key == "idle_timeout_seconds") {
      read_number(item, key_at, kDeskIdleTimeoutRange, desk.idle_timeout_seconds);
    } else if (key == "max_header_bytes") {
      read_number(item, key_at, kDeskMaxHeaderBytesRange, desk.max_header_bytes);
    } else if (key == "max_body_bytes") {
      read_number(item, key_at, kDeskMaxBodyBytesRange, desk.max_body_bytes);
    } else if (key == "tls_cert") {
      read_path(item, key_at, "desk.tls_cert", desk.tls_cert);
    } else if (key == "tls_key") {
      read_path(item, key_at, "desk.tls_key", desk.tls_key);
    } else {
      unknown_key(key, key_at, "desk: ", kDeskKeys);
    }
  });
}

void ConfigReader::read_policy(const YAML::Node& value, const SourceLocation& at, ReloadPolicy& out) {
  std::string text;
  read_string(value, at, "reload.policy", text);  // reports a list or mapping
  if (!value.IsScalar()) return;
  if (const auto policy = parse_reload_policy(text)) {
    out = *policy;
    return;
  }
  std::vector<std::string_view> names;
  names.reserve(kReloadPolicies.size());
  for (const auto& entry : kReloadPolicies) names.push_back(entry.second);
  add(where(value, at),
      "reload.policy: expected four-eyes or single-operator, got '" + text + "'" + did_you_mean(text, names));
}

// The gate measures a set on these files, so a missing one is refused now,
// with the line of its item, rather than when the first set is proposed.
void ConfigReader::read_corpus(const YAML::Node& value, const SourceLocation& at, std::vector<std::string>& out) {
  if (!value.IsSequence()) {
    add(where(value, at), "reload.corpus: expected a list of files, not " + std::string(kind_of(value)) +
                              " (write one file as [file.ndjson])");
    return;
  }
  std::vector<std::string> files;
  std::map<std::string, int, std::less<>> seen;  // resolved path -> line
  for (const auto& item : value) {
    const SourceLocation item_at = where(item, at);
    if (!item.IsScalar() || item.Scalar().empty()) {
      add(item_at, "reload.corpus: list items must be file paths, not " +
                       (item.IsScalar() ? std::string("an empty value") : std::string(kind_of(item))));
      continue;
    }
    std::string path;
    read_path(item, item_at, "reload.corpus", path);
    // Listed twice, a file would count twice in recall and false alerts.
    if (const auto [first, inserted] = seen.emplace(path, item_at.line); !inserted) {
      add(item_at,
          "reload.corpus: '" + path + "' is listed twice (first at line " + std::to_string(first->second) + ")");
      continue;
    }
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) {
      add(item_at, "reload.corpus: '" + path + "' cannot be checked: " + ec.message());
    } else if (!fs::exists(status)) {
      add(item_at, "reload.corpus: '" + path + "' does not exist");
    } else if (fs::is_directory(status)) {
      add(item_at, "reload.corpus: '" + path + "' is a folder, not a file");
    } else if (!fs::is_regular_file(status)) {
      add(item_at, "reload.corpus: '" + path + "' is not a regular file");
    }
    files.push_back(std::move(path));
  }
  out = std::move(files);
}

void ConfigReader::read(const YAML::Node& root, RunConfig& config) {
  if (root.IsNull()) return;  // an empty file: every default
  if (!root.IsMap()) {
    add(where(root, {places_.file, 1}),
        "expected a mapping of settings (brokers:, topics:, kafka:, ...), not " + std::string(kind_of(root)));
    return;
  }
  for_each_entry(root, "", [&](const std::string& key, const SourceLocation& at, const YAML::Node& value) {
    places_.keys[key] = at;
    // A key without a value keeps its default, so a templated file may leave
    // an optional setting blank.
    if (value.IsNull()) return;
    if (key == "brokers") {
      read_brokers(value, at, config.brokers);
    } else if (key == "topics") {
      read_topics(value, at, config);
    } else if (key == "group") {
      read_string(value, at, key, config.group);
    } else if (key == "transactional_id") {
      read_string(value, at, key, config.transactional_id);
    } else if (key == "patterns") {
      read_path(value, at, key, config.patterns_dir);
    } else if (key == "protected") {
      read_path(value, at, key, config.protected_file);
    } else if (key == "workers") {
      read_number(value, at, kWorkersLimit, config.workers);
    } else if (key == "batch") {
      read_batch(value, at, config);
    } else if (key == "queue_max_messages") {
      read_number(value, at, kQueueMessagesLimit, config.queue_max_messages);
    } else if (key == "max_post_bytes") {
      read_number(value, at, kPostBytesLimit, config.max_post_bytes);
    } else if (key == "shutdown_timeout_ms") {
      read_number(value, at, kShutdownLimit, config.shutdown_timeout_ms);
    } else if (key == "exit_at_eof") {
      read_bool(value, at, key, config.exit_at_eof);
    } else if (key == "pseudonym") {
      read_pseudonym(value, at, config);
    } else if (key == "reload") {
      read_reload(value, at, config.reload);
    } else if (key == "desk") {
      read_desk(value, at, config.desk);
    } else if (key == "kafka") {
      read_properties(value, at, key, config.kafka, places_.kafka);
    } else if (key == "consumer") {
      read_properties(value, at, key, config.consumer, places_.consumer);
    } else if (key == "producer") {
      read_properties(value, at, key, config.producer, places_.producer);
    } else {
      unknown_key(key, at, "", kTopLevelKeys);
    }
  });
}

}  // namespace

RunConfig load_run_config(const std::string& path) {
  const auto unreadable = [&] {
    return ConfigError(path + ": cannot be read: " + std::error_code(errno, std::generic_category()).message());
  };
  if (std::error_code ec; fs::is_directory(path, ec)) throw ConfigError(path + ": is a folder, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw unreadable();
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw unreadable();

  Places places;
  places.file = path;
  Problems problems;
  YAML::Node root;
  try {
    root = YAML::Load(content.str());
  } catch (const YAML::Exception& e) {
    problems.add(SourceLocation{path, std::max(e.mark.line + 1, 1)}, "invalid YAML: " + e.msg);
    problems.throw_if_any();
  }
  std::error_code ec;
  const fs::path absolute = fs::absolute(fs::path(path), ec);
  const fs::path folder = (ec ? fs::path(path) : absolute).parent_path();

  RunConfig config;
  config.source_file = path;
  ConfigReader reader(places, problems, folder);
  reader.read(root, config);
  // brokers may still come from --brokers; validate_run_config checks them.
  check_config(config, places, /*require_brokers=*/false, problems);
  problems.throw_if_any();
  return config;
}

std::string_view reload_policy_name(ReloadPolicy policy) {
  for (const auto& [known, name] : kReloadPolicies) {
    if (known == policy) return name;
  }
  return "unknown";
}

std::optional<ReloadPolicy> parse_reload_policy(std::string_view text) {
  for (const auto& [policy, name] : kReloadPolicies) {
    if (name == text) return policy;
  }
  return std::nullopt;
}

bool is_managed_kafka_property(std::string_view key) {
  return find_managed(key) != nullptr;
}

void validate_run_config(const RunConfig& config) {
  const Places nowhere;
  Problems problems;
  check_config(config, nowhere, /*require_brokers=*/true, problems);
  problems.throw_if_any();
}

void validate_desk_config(const DeskConfig& desk) {
  const Places nowhere;
  Problems problems;
  check_desk(desk, nowhere, /*complete=*/true, problems);
  problems.throw_if_any();
}

}  // namespace wachtpost
