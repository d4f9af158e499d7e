// Soak test (hardening, point 6): a steady stream of posts on librdkafka's
// mock cluster for a long time (default 30 minutes), with broker faults and
// pattern-set reloads every few minutes, against real `wachtpost run`
// processes. It computes every alert it should get with the same matching
// path in process, reads the alert and dead-letter topics read_committed, and
// prints a summary: lost, duplicated and wrong alerts, faults and reloads,
// RSS over time with its slope, latency per window, and a PASS/FAIL verdict
// (exit 0 only on PASS). bench/soak/run builds and runs it; bench/README.md
// ("Soak") says what each figure means.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "alert/alert.hpp"
#include "alert/json_writer.hpp"
#include "cli/pattern_source.hpp"
#include "ingest/post_parser.hpp"
#include "ingest/rfc3339.hpp"
#include "runtime/example_check.hpp"
#include "runtime/kafka_handles.hpp"
#include "runtime/mock_cluster.hpp"
#include "runtime/post_processor.hpp"

extern char** environ;

namespace wachtpost::soak {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kPostPartitions = 12;
constexpr int kAlertPartitions = 6;
constexpr int kDeadLetterPartitions = 3;
const std::string kPostsTopic = "soak.posts";
const std::string kAlertsTopic = "soak.alerts";
const std::string kDeadLetterTopic = "soak.dlq";
const std::string kShadowTopic = "soak.alerts.shadow";
const std::string kGroup = "soak";
// The second pattern set is the first plus this rule, whose word never occurs
// in the stream: both sets give the same alerts (checked before the start),
// each under its own hash.
constexpr std::string_view kMarkerRule =
    "# Written by the soak test: the second pattern set is the first plus this\n"
    "# rule, whose word never occurs in the soak stream.\n"
    "lang: nl\n"
    "rules:\n"
    "  - id: nl.soak.marker\n"
    "    rev: 1\n"
    "    description: Soak test marker; its word never occurs in the soak stream\n"
    "    author: soak\n"
    "    category: violence\n"
    "    severity: high\n"
    "    threat: ['zwqxsoakmarker']\n"
    "    examples:\n"
    "      positive: ['ik ga die rechter zwqxsoakmarker', 'die burgemeester zwqxsoakmarker']\n"
    "      negative: ['de bakker is vandaag open', 'de markt is open vandaag']\n";

std::atomic<bool> g_interrupted{false};

void on_interrupt(int /*signal*/) {
  g_interrupted.store(true);
}

// ---------------------------------------------------------------- options

struct Options {
  double minutes = 30;
  double rate = 500;
  double fault_every = 180;
  std::string faults = "broker-down,request-errors,sigkill,slow-broker";
  double fault_seconds = 20;
  double kill_restart_seconds = 5;
  double reload_every = 240;
  int instances = 2;
  double threat_share = 0.05;
  double bad_share = 0.001;
  std::uint64_t seed = 1;
  double sample_every = 10;
  double window = 60;
  double warmup = -1;  // <0: a third of the run
  double rss_min_judged_minutes = 10;
  double fault_grace = 30;
  double reload_settle = 10;
  double p99_max_ms = 1000;
  double rss_growth_max_mb = 48;
  double rss_slope_max_mb_per_hour = 48;
  double drain_seconds = 180;
  int fetch_wait_ms = 10;
  int linger_ms = 100;
  bool idempotent_producer = false;  // the posts producer as before: idempotent, 5 requests in flight
  std::string kafka_debug;           // librdkafka debug contexts for the instances' clients
  std::string json;
  std::string wachtpost = WACHTPOST_BINARY;
  std::string source = WACHTPOST_SOURCE_DIR;
  std::string cache_dir;
  std::string workdir;
  bool keep = false;
};

// ---------------------------------------------------------------- small helpers

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

double seconds_since(Clock::time_point start, Clock::time_point at = Clock::now()) {
  return std::chrono::duration<double>(at - start).count();
}

std::string fixed(double value, int digits) {
  if (!std::isfinite(value)) return "-";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

std::string clock_text(double seconds) {
  const auto total = static_cast<long>(seconds);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%ld:%02ld", total / 60, total % 60);
  return buffer;
}

// The string value of "key":"..." in JSON that wachtpost wrote (no spaces;
// the values read here are ids, hashes and rule names: no escapes).
std::string_view json_field(std::string_view json, std::string_view key) {
  const std::string needle = "\"" + std::string(key) + "\":\"";
  const auto at = json.find(needle);
  if (at == std::string_view::npos) return {};
  const auto start = at + needle.size();
  const auto end = json.find('"', start);
  return end == std::string_view::npos ? std::string_view{} : json.substr(start, end - start);
}

// Alert JSON without the fields that differ between two correct copies
// (detected_at) or between the two sets (alert_id, pattern_set).
std::string strip_volatile(std::string json, bool hash_too) {
  std::vector<std::string_view> keys = {"detected_at"};
  if (hash_too) {
    keys.emplace_back("alert_id");
    keys.emplace_back("pattern_set");
  }
  for (const auto key : keys) {
    const std::string needle = "\"" + std::string(key) + "\":\"";
    const auto at = json.find(needle);
    if (at == std::string::npos) continue;
    const auto end = json.find('"', at + needle.size());
    if (end == std::string::npos) continue;
    std::size_t stop = end + 1;
    if (stop < json.size() && json[stop] == ',') ++stop;
    json.erase(at, stop - at);
  }
  return json;
}

std::optional<std::uint64_t> index_after(std::string_view text, std::string_view prefix) {
  const auto at = text.find(prefix);
  if (at == std::string_view::npos) return std::nullopt;
  std::uint64_t value = 0;
  std::size_t digits = 0;
  for (std::size_t i = at + prefix.size(); i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
    value = value * 10 + static_cast<std::uint64_t>(text[i] - '0');
  }
  if (digits == 0) return std::nullopt;
  return value;
}

double rss_mb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  }
  return std::nan("");
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::nan("");
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

// Least-squares slope of y over x.
double slope(const std::vector<std::pair<double, double>>& points) {
  if (points.size() < 2) return std::nan("");
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const auto& [x, y] : points) {
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const auto n = static_cast<double>(points.size());
  const double denominator = n * sxx - sx * sx;
  return denominator == 0 ? std::nan("") : (n * sxy - sx * sy) / denominator;
}

// The soak's own clients see every fault too; their connection errors would
// only bury the soak's own lines.
void quiet_log(const rd_kafka_t* /*rk*/, int /*level*/, const char* /*facility*/, const char* /*message*/) {}

KafkaClient make_client(rd_kafka_type_t type, const std::vector<std::pair<std::string, std::string>>& props) {
  KafkaConf conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), &quiet_log);
  char reason[512];
  for (const auto& [key, value] : props) {
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), reason, sizeof reason) != RD_KAFKA_CONF_OK) {
      throw std::runtime_error(key + ": " + reason);
    }
  }
  rd_kafka_t* client = rd_kafka_new(type, conf.get(), reason, sizeof reason);
  if (client == nullptr) throw std::runtime_error(std::string("Kafka client: ") + reason);
  static_cast<void>(conf.release());
  return KafkaClient(client);
}

// ---------------------------------------------------------------- child processes

class Process {
 public:
  Process(std::vector<std::string> args, const fs::path& out, const fs::path& err) : err_path_(err) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // A process group of its own (a Ctrl-C of the soak does not reach it; the
    // soak stops it), default signal handling and an empty mask.
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (const int sig : {SIGHUP, SIGINT, SIGTERM, SIGPIPE}) sigaddset(&defaults, sig);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, argv[0], &actions, &attr, argv.data(), environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
  }
  ~Process() {
    if (!exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool exited() const { return exited_; }
  [[nodiscard]] int status() const { return status_; }
  [[nodiscard]] const fs::path& err_path() const { return err_path_; }
  void signal(int sig) const {
    if (!exited_) ::kill(pid_, sig);
  }

  // True once it has ended (status: exit code, or 128 + signal).
  bool poll() {
    if (exited_) return true;
    int raw = 0;
    if (::waitpid(pid_, &raw, WNOHANG) == pid_) {
      exited_ = true;
      status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    }
    return exited_;
  }
  bool wait(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!poll() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return exited_;
  }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = -1;
  fs::path err_path_;
};

// ---------------------------------------------------------------- the stream

// One post of the pool, with its id cut out: prefix + id + suffix.
struct Template {
  std::string prefix;
  std::string suffix;
  std::vector<std::string> rules;  // the rules that fire on it (the same in both sets)
};

enum class PostKind : std::uint8_t { kQuiet, kThreat, kBad };

struct Plan {
  std::vector<Template> templates;
  std::vector<std::uint32_t> threats;  // template indexes that alert
  std::vector<std::uint32_t> quiet;    // template indexes that do not (not public ones included)
  std::vector<PostKind> kind;          // per post
  std::vector<std::uint32_t> tmpl;     // per post: template index
  std::size_t not_public_templates = 0;
};

std::string post_id(std::uint64_t index) {
  return "soak-" + std::to_string(index);
}

std::string post_text(const Plan& plan, std::uint64_t index) {
  const Template& t = plan.templates[plan.tmpl[index]];
  return t.prefix + post_id(index) + t.suffix;
}

std::string bad_line(std::uint64_t index) {
  const std::string id = "soak-bad-" + std::to_string(index);
  switch (index % 3) {
    case 0: return "not json " + id;
    case 1: return R"({"id":")" + id + R"(","platform":"x","text":"cut)";
    default:
      return R"({"id":")" + id +
             R"(","platform":"x","url":"https://x.example/1","created_at":"2026-11-20T10:00:00Z","visibility":"public"})";
  }
}

// Alerts of one post with one set: rule -> JSON.
std::map<std::string, std::string> alerts_of(PostProcessor& processor, PostParser& parser,
                                             const std::shared_ptr<const PatternSet>& set, const std::string& text) {
  Post post;
  ParseFailure failure;
  std::map<std::string, std::string> out;
  if (parser.parse_copy(text, post, failure) != ParseOutcome::kPost) return out;
  std::vector<Alert> alerts;
  processor.process(set, post, "1970-01-01T00:00:00.000Z", alerts);
  for (const Alert& alert : alerts) {
    std::string json;
    append_alert_json(alert, json);
    out[alert.rule] = std::move(json);
  }
  return out;
}

Plan make_plan(const Options& options, const std::shared_ptr<const PatternSet>& set_a,
               const std::shared_ptr<const PatternSet>& set_b, std::uint64_t posts) {
  Plan plan;
  std::vector<fs::path> files = {fs::path(options.source) / "patterns/examples/posts.ndjson"};
  std::vector<fs::path> labelled;
  for (const auto& entry : fs::directory_iterator(fs::path(options.source) / "tests/data/labelled")) {
    if (entry.path().extension() == ".ndjson") labelled.push_back(entry.path());
  }
  std::sort(labelled.begin(), labelled.end());
  files.insert(files.end(), labelled.begin(), labelled.end());
  // One processor per set: a processor that switches sets allocates
  // Hyperscan scratch for the new one each time.
  PostProcessor processor_a;
  PostProcessor processor_b;
  PostParser parser;
  std::size_t differing = 0;
  for (const auto& file : files) {
    for (std::string line : lines_of(read_text(file))) {
      // The labels are not part of a post.
      if (const auto expect = line.rfind(", \"expect\":"); expect != std::string::npos)
        line = line.substr(0, expect) + "}";
      const auto key = line.find("\"id\"");
      if (key == std::string::npos) continue;
      const auto open = line.find('"', line.find(':', key) + 1);
      const auto close = line.find('"', open + 1);
      if (open == std::string::npos || close == std::string::npos) continue;
      Template t{line.substr(0, open + 1), line.substr(close), {}};
      const std::string text = t.prefix + "soak-0" + t.suffix;
      Post post;
      ParseFailure failure;
      if (parser.parse_copy(text, post, failure) != ParseOutcome::kPost) {
        throw std::runtime_error(file.string() + ": a post does not parse: " + failure.detail);
      }
      if (post.visibility != "public") ++plan.not_public_templates;
      const auto a = alerts_of(processor_a, parser, set_a, text);
      const auto b = alerts_of(processor_b, parser, set_b, text);
      bool same = a.size() == b.size();
      for (auto ia = a.begin(), ib = b.begin(); same && ia != a.end(); ++ia, ++ib) {
        same = ia->first == ib->first && strip_volatile(ia->second, true) == strip_volatile(ib->second, true);
      }
      if (!same) {
        ++differing;
        continue;  // left out: the two sets must agree on every post of the stream
      }
      for (const auto& [rule, json] : a) t.rules.push_back(rule);
      (t.rules.empty() ? plan.quiet : plan.threats).push_back(static_cast<std::uint32_t>(plan.templates.size()));
      plan.templates.push_back(std::move(t));
    }
  }
  if (differing > 0)
    throw std::runtime_error(std::to_string(differing) + " pool posts alert differently in the two sets");
  if (plan.threats.empty() || plan.quiet.empty()) throw std::runtime_error("the pool needs threats and quiet posts");
  std::mt19937_64 rng(options.seed);
  std::uniform_real_distribution<double> share(0.0, 1.0);
  plan.kind.resize(posts);
  plan.tmpl.resize(posts);
  for (std::uint64_t i = 0; i < posts; ++i) {
    const double draw = share(rng);
    if (draw < options.bad_share) {
      plan.kind[i] = PostKind::kBad;
    } else if (draw < options.bad_share + options.threat_share) {
      plan.kind[i] = PostKind::kThreat;
      plan.tmpl[i] = plan.threats[rng() % plan.threats.size()];
    } else {
      plan.kind[i] = PostKind::kQuiet;
      plan.tmpl[i] = plan.quiet[rng() % plan.quiet.size()];
    }
  }
  return plan;
}

// ---------------------------------------------------------------- what is seen

struct Sample {
  double t = 0;                         // seconds since the stream started
  std::vector<double> rss_mb;           // per instance slot
  double soak_rss_mb = 0;               // this process: the mock cluster and the checks
  std::int64_t lag = -1;                // posts produced and not committed by the group; -1: not known
  std::int64_t trimmed_unread = 0;      // posts the mock dropped before the group committed them
  std::vector<std::int64_t> committed;  // the group's committed offset per posts partition; empty: not known
};

struct AlertSeen {
  double sent = 0;     // seconds since start: post acknowledged by the broker
  double latency = 0;  // seconds: post acknowledged -> alert read
};

// One copy of an alert as read, to explain a duplicate.
struct CopySeen {
  std::string alert_id;
  std::string source;  // posts partition@offset it was made of
  double read_at = 0;  // seconds since start
  std::string where;   // alert topic partition@offset and set
};

// Everything the reader thread and the sampler collect; one mutex.
struct Observations {
  std::mutex mutex;
  std::unordered_map<std::uint64_t, std::uint32_t> alert_copies;  // (post << 8 | rule slot) -> copies read
  // Where each copy was read from, to explain a duplicate: (post << 8 | rule slot) -> notes.
  std::unordered_map<std::uint64_t, std::vector<CopySeen>> copy_notes;
  std::vector<AlertSeen> first_copies;
  std::uint64_t alerts_read = 0;
  std::uint64_t unexpected = 0;  // for a post or rule that should give none
  std::uint64_t wrong = 0;       // right post and rule, content not what the set gives
  std::vector<std::string> wrong_examples;
  std::map<std::string, std::uint64_t> by_hash;
  // Posts produced after a reload was confirmed whose alert still carries the old hash.
  std::uint64_t stale_hash = 0;
  std::unordered_map<std::uint64_t, std::uint32_t> dead_letter_copies;  // post index -> copies
  std::uint64_t dead_letters_unexpected = 0;
  std::uint64_t reader_errors = 0;
  std::string first_reader_error;
  std::vector<Sample> samples;
  std::vector<std::uint8_t> post_copies;  // per post: times it is in the posts topic
  std::uint64_t posts_seen = 0;           // posts in the topic at least once
};

// The hash an alert must carry, by when wachtpost matched its post (the
// alert's detected_at): the set confirmed live on every instance before then.
// Alerts detected between a reload's request and its confirmation may carry
// either. By detection, not by when the post was sent: a backlog (after a
// broker fault, say) is rightly matched with the set live when it is read.
struct HashEpochs {
  static constexpr double kClockMargin = 1;  // detected_at has ms resolution, the epochs are read from logs
  std::mutex mutex;
  std::vector<std::pair<double, std::string>> confirmed;  // (confirmed at, hash), in order
  std::vector<std::pair<double, double>> open;            // (requested at, confirmed at; 1e18 while open)
  // Empty when either hash may be right.
  std::string required(double t) {
    const std::lock_guard lock(mutex);
    for (const auto& [from, to] : open) {
      if (t >= from - kClockMargin && t <= to + kClockMargin) return {};
    }
    std::string hash;
    for (const auto& [at, h] : confirmed) {
      if (at <= t) hash = h;
    }
    return hash;
  }
};

struct Shared {
  const Options* options = nullptr;
  const Plan* plan = nullptr;
  std::map<std::string, std::shared_ptr<const PatternSet>> sets;  // by hash
  Clock::time_point start;
  std::int64_t start_epoch_ms = 0;                        // start on the wall clock, for the alerts' detected_at
  std::vector<std::atomic<std::int64_t>> sent_ns;         // per post: ns after start, produce() then its ack
  std::vector<std::atomic<std::uint8_t>> delivery;        // per post: 0 unknown, 1 delivered, 2 failed
  std::vector<std::atomic<std::int32_t>> post_partition;  // per post, from its delivery report
  std::vector<std::atomic<std::int64_t>> post_offset;
  std::atomic<bool> stop_reader{false};
  std::atomic<bool> stop_sampler{false};
  std::vector<std::atomic<pid_t>> pids;  // per instance slot; 0: not running
  std::string bootstrap;
  Observations seen;
  HashEpochs epochs;

  Shared(std::uint64_t posts, int instances)
      : sent_ns(posts),
        delivery(posts),
        post_partition(posts),
        post_offset(posts),
        pids(static_cast<std::size_t>(instances)) {
    seen.post_copies.resize(posts);
  }
};

std::uint64_t alert_key(std::uint64_t post, std::size_t slot) {
  return post << 8 | slot;
}

std::string header_value(const rd_kafka_message_t* message, const char* name) {
  rd_kafka_headers_t* headers = nullptr;
  const void* value = nullptr;
  std::size_t size = 0;
  if (rd_kafka_message_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR || value == nullptr) {
    return "?";
  }
  return {static_cast<const char*>(value), size};
}

// Reads the alert and dead-letter topics from the beginning, read_committed,
// and checks each record against the plan.
void read_outputs(Shared& shared) {
  KafkaClient consumer = make_client(RD_KAFKA_CONSUMER, {{"bootstrap.servers", shared.bootstrap},
                                                         {"group.id", "soak-reader"},
                                                         {"isolation.level", "read_committed"},
                                                         {"enable.auto.commit", "false"},
                                                         {"auto.offset.reset", "error"},
                                                         {"fetch.wait.max.ms", "10"}});
  KafkaPartitionList assignment(rd_kafka_topic_partition_list_new(kAlertPartitions + kDeadLetterPartitions));
  for (int p = 0; p < kAlertPartitions; ++p) {
    rd_kafka_topic_partition_list_add(assignment.get(), kAlertsTopic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  for (int p = 0; p < kDeadLetterPartitions; ++p) {
    rd_kafka_topic_partition_list_add(assignment.get(), kDeadLetterTopic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  // The posts too: an alert can only be expected of a post that is in the
  // topic (once, or as often as it is there).
  for (int p = 0; p < kPostPartitions; ++p) {
    rd_kafka_topic_partition_list_add(assignment.get(), kPostsTopic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  if (const auto err = rd_kafka_assign(consumer.get(), assignment.get())) {
    throw std::runtime_error(std::string("reader assign: ") + rd_kafka_err2str(err));
  }
  const Plan& plan = *shared.plan;
  std::map<std::string, std::unique_ptr<PostProcessor>> processors;  // one per set, as in make_plan
  PostParser parser;
  Observations& seen = shared.seen;
  while (!shared.stop_reader.load()) {
    KafkaMessage message(rd_kafka_consumer_poll(consumer.get(), 100));
    if (!message) continue;
    const auto now = Clock::now();
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
      const std::lock_guard lock(seen.mutex);
      ++seen.reader_errors;
      if (seen.first_reader_error.empty()) seen.first_reader_error = rd_kafka_message_errstr(message.get());
      continue;
    }
    const std::string value(static_cast<const char*>(message->payload), message->len);
    const std::string_view topic = rd_kafka_topic_name(message->rkt);
    if (topic == kPostsTopic) {
      const auto index = index_after(std::string_view(static_cast<const char*>(message->key), message->key_len), "p");
      const std::lock_guard lock(seen.mutex);
      if (index && *index < seen.post_copies.size()) {
        if (seen.post_copies[*index]++ == 0) ++seen.posts_seen;
      }
      continue;
    }
    if (topic != kAlertsTopic) {
      const auto index = index_after(value, "soak-bad-");
      const std::lock_guard lock(seen.mutex);
      if (!index || *index >= plan.kind.size() || plan.kind[*index] != PostKind::kBad || value != bad_line(*index)) {
        ++seen.dead_letters_unexpected;
      } else {
        ++seen.dead_letter_copies[*index];
      }
      continue;
    }
    const std::string rule(json_field(value, "rule"));
    const std::string hash(json_field(value, "pattern_set"));
    const auto index = index_after(json_field(value, "post_id"), "soak-");
    std::size_t slot = 0;
    bool expected = index && *index < plan.kind.size() && plan.kind[*index] == PostKind::kThreat;
    if (expected) {
      const auto& rules = plan.templates[plan.tmpl[*index]].rules;
      slot = static_cast<std::size_t>(std::find(rules.begin(), rules.end(), rule) - rules.begin());
      expected = slot < rules.size();
    }
    std::string problem;
    if (expected) {
      const auto set = shared.sets.find(hash);
      if (set == shared.sets.end()) {
        problem = "unknown pattern_set " + hash;
      } else {
        auto& processor = processors[hash];
        if (!processor) processor = std::make_unique<PostProcessor>();
        const auto mine = alerts_of(*processor, parser, set->second, post_text(plan, *index));
        const auto it = mine.find(rule);
        if (it == mine.end() || strip_volatile(it->second, false) != strip_volatile(value, false)) {
          problem = "content differs from what " + hash + " gives";
        }
      }
    }
    const double sent =
        expected ? static_cast<double>(shared.sent_ns[*index].load(std::memory_order_relaxed)) / 1e9 : 0.0;
    const auto detected = parse_rfc3339_ms(json_field(value, "detected_at"));
    const std::string required =
        expected && detected ? shared.epochs.required(static_cast<double>(*detected - shared.start_epoch_ms) / 1e3)
                             : std::string();
    const std::lock_guard lock(seen.mutex);
    ++seen.alerts_read;
    ++seen.by_hash[hash];
    if (!expected) {
      ++seen.unexpected;
      if (seen.wrong_examples.size() < 5) seen.wrong_examples.push_back("unexpected: " + value.substr(0, 300));
      continue;
    }
    if (!problem.empty()) {
      ++seen.wrong;
      if (seen.wrong_examples.size() < 5) seen.wrong_examples.push_back(problem + ": " + value.substr(0, 300));
    }
    if (!required.empty() && hash != required) {
      ++seen.stale_hash;
      if (seen.wrong_examples.size() < 5) {
        seen.wrong_examples.push_back("matched with " + hash + ", live was " + required + ": " + value.substr(0, 300));
      }
    }
    const double read_at = seconds_since(shared.start, now);
    seen.copy_notes[alert_key(*index, slot)].push_back(
        {std::string(json_field(value, "alert_id")),
         header_value(message.get(), "wachtpost.source.partition") + "@" +
             header_value(message.get(), "wachtpost.source.offset"),
         read_at,
         kAlertsTopic + "/" + std::to_string(message->partition) + "@" + std::to_string(message->offset) + " " +
             hash.substr(0, 15)});
    if (++seen.alert_copies[alert_key(*index, slot)] == 1) seen.first_copies.push_back({sent, read_at - sent});
  }
  rd_kafka_consumer_close(consumer.get());
}

// Every sample_every seconds: RSS of each instance and of this process, the
// group's lag on the posts topic, and posts the mock dropped unread.
void sample(Shared& shared) {
  KafkaClient client =
      make_client(RD_KAFKA_CONSUMER,
                  {{"bootstrap.servers", shared.bootstrap}, {"group.id", kGroup}, {"enable.auto.commit", "false"}});
  auto next = Clock::now();
  while (!shared.stop_sampler.load()) {
    if (Clock::now() < next) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    next += std::chrono::milliseconds(static_cast<long>(shared.options->sample_every * 1000));
    Sample s;
    s.t = seconds_since(shared.start);
    for (const auto& pid : shared.pids) {
      const pid_t p = pid.load();
      s.rss_mb.push_back(p > 0 ? rss_mb(p) : std::nan(""));
    }
    s.soak_rss_mb = rss_mb(::getpid());
    KafkaPartitionList committed(rd_kafka_topic_partition_list_new(kPostPartitions));
    for (int p = 0; p < kPostPartitions; ++p)
      rd_kafka_topic_partition_list_add(committed.get(), kPostsTopic.c_str(), p);
    if (rd_kafka_committed(client.get(), committed.get(), 3000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::int64_t lag = 0;
      for (int i = 0; i < committed->cnt && lag >= 0; ++i) {
        std::int64_t low = 0;
        std::int64_t high = 0;
        if (rd_kafka_query_watermark_offsets(client.get(), kPostsTopic.c_str(), committed->elems[i].partition, &low,
                                             &high, 2000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
          lag = -1;
          break;
        }
        const std::int64_t done = std::max<std::int64_t>(committed->elems[i].offset, 0);
        s.committed.push_back(committed->elems[i].offset);
        lag += high - done;
        if (committed->elems[i].offset >= 0 && low > done) s.trimmed_unread += low - done;
      }
      s.lag = lag;
    }
    const std::lock_guard lock(shared.seen.mutex);
    shared.seen.samples.push_back(std::move(s));
  }
}

// ---------------------------------------------------------------- faults and reloads

struct Fault {
  std::string kind;
  std::string detail;
  double start = 0;
  double end = -1;  // -1: still on
};

struct Reload {
  std::string to_hash;
  double requested = 0;
  double confirmed = -1;  // every running instance logged its activation
  std::string result;     // "confirmed", or why not
  std::vector<std::size_t> audit_lines_before;
};

class Instance {
 public:
  Instance(std::string name, const fs::path& workdir) : name_(std::move(name)), workdir_(workdir) {}

  void start(const std::vector<std::string>& common) {
    std::vector<std::string> args = common;
    args.insert(args.end(), {"--instance", name_, "--audit-log", audit_path().string()});
    ++runs_;
    const std::string base = name_ + "." + std::to_string(runs_);
    process_ = std::make_unique<Process>(args, workdir_ / (base + ".out"), workdir_ / (base + ".err"));
    logs_.push_back(workdir_ / (base + ".err"));
    started_ = Clock::now();
  }

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] fs::path audit_path() const { return workdir_ / ("audit-" + name_ + ".jsonl"); }
  [[nodiscard]] Process* process() const { return process_.get(); }
  [[nodiscard]] int runs() const { return runs_; }
  [[nodiscard]] const std::vector<fs::path>& logs() const { return logs_; }
  [[nodiscard]] bool running() const { return process_ && !process_->exited(); }
  [[nodiscard]] std::string current_log() const { return process_ ? read_text(process_->err_path()) : std::string(); }

  std::vector<std::string> audit_lines() const { return lines_of(read_text(audit_path())); }

 private:
  std::string name_;
  fs::path workdir_;
  std::unique_ptr<Process> process_;
  std::vector<fs::path> logs_;
  int runs_ = 0;
  Clock::time_point started_;
};

// ---------------------------------------------------------------- the run

class Soak {
 public:
  explicit Soak(Options options) : options_(std::move(options)) {}
  int run();

 private:
  void prepare();
  void start_instances();
  bool wait_until_ready(double timeout_seconds);
  void produce_due(double elapsed);
  void poll_events(double elapsed, double production_end);
  void start_fault(double now);
  void end_fault(double now);
  void start_reload(double now);
  void check_reload(double now);
  void check_instances(double now);
  void progress(double now);
  int summarise(double production_seconds, double drain_seconds, bool drained);

  [[nodiscard]] double now_s() const { return seconds_since(shared_->start); }
  [[nodiscard]] bool fault_active() const { return !faults_.empty() && faults_.back().end < 0; }
  [[nodiscard]] bool reload_pending() const {
    return !reloads_.empty() && reloads_.back().confirmed < 0 && reloads_.back().result.empty();
  }

  Options options_;
  fs::path workdir_;
  fs::path rules_dir_;
  fs::path marker_file_;
  std::string registry_;
  std::string hash_a_;
  std::string hash_b_;
  std::string live_hash_;
  std::string describe_a_;
  double build_seconds_ = 0;
  std::unique_ptr<MockCluster> cluster_;
  Plan plan_;
  std::unique_ptr<Shared> shared_;
  std::vector<std::unique_ptr<Instance>> instances_;
  std::vector<std::string> common_args_;
  KafkaClient producer_;
  std::uint64_t total_posts_ = 0;
  std::uint64_t next_post_ = 0;
  std::vector<std::string> fault_kinds_;
  std::vector<Fault> faults_;
  std::vector<Reload> reloads_;
  double next_fault_at_ = 0;
  double next_reload_at_ = 0;
  double next_error_push_ = 0;
  double kill_restart_at_ = -1;
  double last_fault_end_ = -1e9;
  double next_progress_ = 0;
  std::vector<std::string> incidents_;                // unexpected exits and the like
  std::chrono::system_clock::time_point start_wall_;  // the stream's start, for the instances' log times
  std::int32_t broker_ = 0;
};

void delivery_report(rd_kafka_t* /*rk*/, const rd_kafka_message_t* message, void* opaque) {
  auto* shared = static_cast<Shared*>(opaque);
  const std::string_view key(static_cast<const char*>(message->key), message->key_len);
  const auto index = index_after(key, "p");
  if (!index || *index >= shared->delivery.size()) return;
  // Latency counts from here: the post is in the topic, for wachtpost to
  // fetch (the producer's linger is not wachtpost's).
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    shared->post_partition[*index].store(message->partition, std::memory_order_relaxed);
    shared->post_offset[*index].store(message->offset, std::memory_order_relaxed);
    shared->sent_ns[*index].store(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - shared->start).count(),
        std::memory_order_relaxed);
  }
  shared->delivery[*index].store(message->err == RD_KAFKA_RESP_ERR_NO_ERROR ? 1 : 2);
}

void Soak::prepare() {
  if (options_.workdir.empty()) {
    std::string pattern = (fs::temp_directory_path() / "wachtpost-soak-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot make a work folder");
    workdir_ = pattern;
  } else {
    workdir_ = options_.workdir;
    fs::create_directories(workdir_);
  }
  // The two sets' compiled databases are cached in a folder of their own, so
  // the soak neither evicts nor depends on the shared cache.
  std::string cache = options_.cache_dir;
  if (cache.empty()) {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    cache = (xdg != nullptr && *xdg != '\0') ? std::string(xdg) + "/wachtpost-soak"
            : home != nullptr                ? std::string(home) + "/.cache/wachtpost-soak"
                                             : (workdir_ / "cache").string();
  }
  fs::create_directories(cache);
  ::setenv("WACHTPOST_CACHE_DIR", cache.c_str(), 1);

  rules_dir_ = workdir_ / "rules";
  fs::create_directories(rules_dir_);
  for (const char* lang : {"nl", "en"}) {
    fs::copy(fs::path(options_.source) / "patterns" / lang, rules_dir_ / lang, fs::copy_options::recursive);
  }
  registry_ = (fs::path(options_.source) / "patterns/protected.example.yaml").string();
  marker_file_ = rules_dir_ / "soak-marker.yaml";

  std::cerr << "soak: building both pattern sets (cache " << cache << "; the first run compiles each once)\n";
  const auto started = Clock::now();
  auto set_a = load_pattern_set({rules_dir_.string(), registry_, {}});
  { std::ofstream(marker_file_) << kMarkerRule; }
  auto set_b = load_pattern_set({rules_dir_.string(), registry_, {}});
  fs::remove(marker_file_);
  build_seconds_ = seconds_since(started);
  hash_a_ = std::string(set_a->hash());
  hash_b_ = std::string(set_b->hash());
  live_hash_ = hash_a_;
  describe_a_ = describe(*set_a);
  if (hash_a_ == hash_b_) throw std::runtime_error("the two pattern sets have the same hash");
  // The reload gate runs every rule's examples; a set that fails them here
  // would be refused by every reload.
  for (const auto& set : {set_a, set_b}) {
    const ExampleCheck check = check_examples(set);
    if (!check.failures.empty()) {
      throw std::runtime_error("set " + std::string(set->hash()) + " fails its examples: " + check.failures.front());
    }
  }
  std::cerr << "soak: set A " << describe_a_ << "\nsoak: set B " << hash_b_ << " (A plus nl.soak.marker), built in "
            << fixed(build_seconds_, 1) << " s\n";

  const double seconds = options_.minutes * 60;
  total_posts_ = static_cast<std::uint64_t>(std::llround(seconds * options_.rate));
  plan_ = make_plan(options_, set_a, set_b, total_posts_);
  shared_ = std::make_unique<Shared>(total_posts_, options_.instances);
  shared_->options = &options_;
  shared_->plan = &plan_;
  shared_->sets[hash_a_] = set_a;
  shared_->sets[hash_b_] = set_b;
  std::cerr << "soak: pool of " << plan_.templates.size() << " posts (" << plan_.threats.size() << " alert, "
            << plan_.quiet.size() << " do not, " << plan_.not_public_templates << " of them not public); "
            << total_posts_ << " posts planned\n";

  std::stringstream kinds(options_.faults);
  for (std::string kind; std::getline(kinds, kind, ',');) {
    if (kind.empty()) continue;
    if (kind != "broker-down" && kind != "request-errors" && kind != "sigkill" && kind != "slow-broker") {
      throw std::runtime_error("unknown fault kind '" + kind + "'");
    }
    if (kind == "sigkill" && options_.instances < 2) {
      std::cerr << "soak: sigkill needs two instances (the first is never killed: its RSS is judged); left out\n";
      continue;
    }
    fault_kinds_.push_back(kind);
  }

  cluster_ = std::make_unique<MockCluster>(3);
  cluster_->create_topic(kPostsTopic, kPostPartitions, 3);
  cluster_->create_topic(kAlertsTopic, kAlertPartitions, 3);
  cluster_->create_topic(kDeadLetterTopic, kDeadLetterPartitions, 3);
  cluster_->create_topic(kShadowTopic, kAlertPartitions, 3);
  shared_->bootstrap = cluster_->bootstrap_servers();

  const fs::path config = workdir_ / "run.yaml";
  std::ofstream(config) << "topics: {input: " << kPostsTopic << ", alerts: " << kAlertsTopic
                        << ", dead_letters: " << kDeadLetterTopic << ", shadow_alerts: " << kShadowTopic << "}\n"
                        << "group: " << kGroup << "\n"
                        << "consumer: {session.timeout.ms: 6000, heartbeat.interval.ms: 500, fetch.wait.max.ms: "
                        << options_.fetch_wait_ms << "}\n";
  if (!options_.kafka_debug.empty()) {
    std::ofstream(config, std::ios::app) << "kafka: {debug: '" << options_.kafka_debug << "'}\n";
  }
  // A copy of the binary under test: a rebuild during the run must not change
  // what a restarted instance runs.
  const fs::path binary = workdir_ / "wachtpost";
  fs::copy_file(options_.wachtpost, binary, fs::copy_options::overwrite_existing);
  common_args_ = {binary.string(),   "run",
                  "--config",        config.string(),
                  "--brokers",       shared_->bootstrap,
                  "--patterns",      rules_dir_.string(),
                  "--protected",     registry_,
                  "--reload-policy", "single-operator",
                  "--http-addr",     "127.0.0.1:0",
                  "--metrics-addr",  "127.0.0.1:0"};

  KafkaConf conf(rd_kafka_conf_new());
  char reason[512];
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"bootstrap.servers", shared_->bootstrap},
           {"linger.ms", std::to_string(options_.linger_ms)},
           // Not idempotent: the mock checks sequence
           // numbers of transactional producers only.
           // One request in flight keeps retries in order.
           {"enable.idempotence", options_.idempotent_producer ? "true" : "false"},
           {"max.in.flight.requests.per.connection", options_.idempotent_producer ? "5" : "1"}}) {
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), reason, sizeof reason) != RD_KAFKA_CONF_OK) {
      throw std::runtime_error(key + ": " + reason);
    }
  }
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &delivery_report);
  rd_kafka_conf_set_log_cb(conf.get(), &quiet_log);
  rd_kafka_conf_set_opaque(conf.get(), shared_.get());
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), reason, sizeof reason);
  if (producer == nullptr) throw std::runtime_error(std::string("producer: ") + reason);
  static_cast<void>(conf.release());
  producer_.reset(producer);
}

void Soak::start_instances() {
  for (int i = 0; i < options_.instances; ++i) {
    const std::string name(1, static_cast<char>('a' + i));
    instances_.push_back(std::make_unique<Instance>(name, workdir_));
    instances_.back()->start(common_args_);
    shared_->pids[static_cast<std::size_t>(i)].store(instances_.back()->process()->pid());
  }
}

// Ready: every instance logged an assignment and the group has a committed
// offset for every posts partition (wachtpost commits the start first).
bool Soak::wait_until_ready(double timeout_seconds) {
  KafkaClient client =
      make_client(RD_KAFKA_CONSUMER,
                  {{"bootstrap.servers", shared_->bootstrap}, {"group.id", kGroup}, {"enable.auto.commit", "false"}});
  const auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<long>(timeout_seconds * 1000));
  while (Clock::now() < deadline && !g_interrupted.load()) {
    bool all = true;
    for (const auto& instance : instances_) {
      if (instance->process()->poll()) {
        throw std::runtime_error("instance " + instance->name() + " exited at start with status " +
                                 std::to_string(instance->process()->status()) + ":\n" + instance->current_log());
      }
      all = all && instance->current_log().find("assigned ") != std::string::npos;
    }
    if (all) {
      KafkaPartitionList committed(rd_kafka_topic_partition_list_new(kPostPartitions));
      for (int p = 0; p < kPostPartitions; ++p) {
        rd_kafka_topic_partition_list_add(committed.get(), kPostsTopic.c_str(), p);
      }
      if (rd_kafka_committed(client.get(), committed.get(), 3000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          std::all_of(committed->elems, committed->elems + committed->cnt,
                      [](const rd_kafka_topic_partition_t& e) { return e.offset >= 0; })) {
        return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

void Soak::produce_due(double elapsed) {
  const auto due = std::min<std::uint64_t>(total_posts_, static_cast<std::uint64_t>(elapsed * options_.rate));
  for (; next_post_ < due; ++next_post_) {
    const std::uint64_t i = next_post_;
    const std::string value = plan_.kind[i] == PostKind::kBad ? bad_line(i) : post_text(plan_, i);
    const std::string key = "p" + std::to_string(i);
    shared_->sent_ns[i].store(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - shared_->start).count(),
        std::memory_order_relaxed);
    for (;;) {
      const auto err = produce_copy(producer_.get(), kPostsTopic.c_str(), key, value);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
        throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(err));
      rd_kafka_poll(producer_.get(), 10);
    }
  }
  rd_kafka_poll(producer_.get(), 0);
}

void Soak::start_fault(double now) {
  const std::string kind = fault_kinds_[faults_.size() % fault_kinds_.size()];
  Fault fault{kind, "", now, -1};
  if (kind == "broker-down") {
    broker_ = broker_ % 3 + 1;
    cluster_->set_broker_down(broker_);
    fault.detail = "broker " + std::to_string(broker_) + " down for " + fixed(options_.fault_seconds, 0) + " s";
  } else if (kind == "slow-broker") {
    broker_ = broker_ % 3 + 1;
    cluster_->set_broker_rtt(broker_, 500);
    fault.detail =
        "broker " + std::to_string(broker_) + " 500 ms round trip for " + fixed(options_.fault_seconds, 0) + " s";
  } else if (kind == "request-errors") {
    next_error_push_ = now;
    fault.detail = "retriable errors on produce, fetch, offset commit and transaction requests every 4 s for " +
                   fixed(options_.fault_seconds, 0) + " s";
  } else {
    Instance& victim = *instances_.back();
    victim.process()->signal(SIGKILL);
    victim.process()->wait(std::chrono::seconds(10));
    shared_->pids.back().store(0);
    kill_restart_at_ = now + options_.kill_restart_seconds;
    fault.detail =
        "SIGKILL of instance " + victim.name() + ", restarted after " + fixed(options_.kill_restart_seconds, 0) + " s";
  }
  std::cerr << "soak: [" << clock_text(now) << "] fault: " << fault.detail << '\n';
  faults_.push_back(std::move(fault));
}

void Soak::end_fault(double now) {
  Fault& fault = faults_.back();
  if (fault.kind == "broker-down") cluster_->set_broker_up(broker_);
  if (fault.kind == "slow-broker") cluster_->set_broker_rtt(broker_, 0);
  fault.end = now;
  last_fault_end_ = now;
  std::cerr << "soak: [" << clock_text(now) << "] fault over: " << fault.kind << '\n';
}

void Soak::start_reload(double now) {
  const bool to_b = live_hash_ == hash_a_;
  if (to_b) {
    std::ofstream(marker_file_) << kMarkerRule;
  } else {
    fs::remove(marker_file_);
  }
  Reload reload;
  reload.to_hash = to_b ? hash_b_ : hash_a_;
  reload.requested = now;
  for (const auto& instance : instances_) reload.audit_lines_before.push_back(instance->audit_lines().size());
  {
    const std::lock_guard lock(shared_->epochs.mutex);
    shared_->epochs.open.emplace_back(now, 1e18);
  }
  for (const auto& instance : instances_) {
    if (instance->running()) instance->process()->signal(SIGHUP);
  }
  std::cerr << "soak: [" << clock_text(now) << "] reload: SIGHUP to every instance, " << live_hash_ << " -> "
            << reload.to_hash << '\n';
  reloads_.push_back(std::move(reload));
}

void Soak::check_reload(double now) {
  Reload& reload = reloads_.back();
  bool all = true;
  std::string refused;
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    const auto lines = instances_[i]->audit_lines();
    bool activated = false;
    for (std::size_t k = reload.audit_lines_before[i]; k < lines.size(); ++k) {
      if (lines[k].find("\"result\":\"activated\"") != std::string::npos &&
          lines[k].find("\"new_hash\":\"" + reload.to_hash + "\"") != std::string::npos) {
        activated = true;
      } else if (lines[k].find("\"result\":\"") != std::string::npos) {
        refused = instances_[i]->name() + ": " + lines[k].substr(0, 300);
      }
    }
    all = all && activated;
  }
  const auto close_epoch = [&](double at) {
    const std::lock_guard lock(shared_->epochs.mutex);
    shared_->epochs.open.back().second = at;
  };
  if (all) {
    reload.confirmed = now;
    reload.result = "confirmed";
    live_hash_ = reload.to_hash;
    close_epoch(now);
    {
      const std::lock_guard lock(shared_->epochs.mutex);
      shared_->epochs.confirmed.emplace_back(now, reload.to_hash);
    }
    std::cerr << "soak: [" << clock_text(now) << "] reload confirmed on every instance after "
              << fixed(now - reload.requested, 1) << " s\n";
  } else if (!refused.empty() || now - reload.requested > 180) {
    reload.result = refused.empty() ? "not activated within 180 s" : "refused: " + refused;
    close_epoch(1e18);  // from here on either hash may be seen
    // The folder goes back to the live set, so a restarted instance starts on it.
    if (live_hash_ == hash_a_) {
      fs::remove(marker_file_);
    } else {
      std::ofstream(marker_file_) << kMarkerRule;
    }
    std::cerr << "soak: [" << clock_text(now) << "] reload FAILED: " << reload.result << '\n';
  }
}

void Soak::check_instances(double now) {
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    Instance& instance = *instances_[i];
    const bool killed_on_purpose = i + 1 == instances_.size() && kill_restart_at_ >= 0;
    if (killed_on_purpose || !instance.process()->poll()) continue;
    incidents_.push_back("[" + clock_text(now) + "] instance " + instance.name() + " exited with status " +
                         std::to_string(instance.process()->status()) + " (log " +
                         instance.process()->err_path().string() + "); restarted");
    std::cerr << "soak: " << incidents_.back() << '\n';
    instance.start(common_args_);
    shared_->pids[i].store(instance.process()->pid());
  }
}

void Soak::poll_events(double now, double production_end) {
  check_instances(now);
  if (!fault_kinds_.empty() && options_.fault_every > 0) {
    if (fault_active()) {
      Fault& fault = faults_.back();
      if (fault.kind == "sigkill") {
        if (kill_restart_at_ >= 0 && now >= kill_restart_at_) {
          Instance& victim = *instances_.back();
          victim.start(common_args_);
          shared_->pids.back().store(victim.process()->pid());
          kill_restart_at_ = -1;
          std::cerr << "soak: [" << clock_text(now) << "] instance " << victim.name() << " restarted\n";
        }
        // Over once the restarted instance has partitions again.
        if (kill_restart_at_ < 0 && (instances_.back()->current_log().find("assigned ") != std::string::npos ||
                                     now - fault.start > options_.kill_restart_seconds + 60)) {
          end_fault(now);
        }
      } else {
        if (fault.kind == "request-errors" && now >= next_error_push_ && now < fault.start + options_.fault_seconds) {
          next_error_push_ = now + 4;
          cluster_->push_request_errors(
              kafka_api::kProduce, {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT});
          cluster_->push_request_errors(kafka_api::kFetch, {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION});
          cluster_->push_request_errors(kafka_api::kOffsetCommit, {RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS});
          cluster_->push_request_errors(kafka_api::kAddPartitionsToTxn, {RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE});
          cluster_->push_request_errors(kafka_api::kTxnOffsetCommit, {RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS});
          cluster_->push_request_errors(kafka_api::kEndTxn, {RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE});
        }
        if (now >= fault.start + options_.fault_seconds) end_fault(now);
      }
    } else if (now >= next_fault_at_ && !reload_pending() &&
               (reloads_.empty() || reloads_.back().confirmed < 0 || now - reloads_.back().confirmed >= 5)) {
      // Only a fault that is over before the stream stops.
      const double length = fault_kinds_[faults_.size() % fault_kinds_.size()] == "sigkill"
                                ? options_.kill_restart_seconds + 10
                                : options_.fault_seconds;
      if (now + length < production_end) start_fault(now);
      next_fault_at_ = now + options_.fault_every;
    }
  }
  if (options_.reload_every > 0) {
    if (reload_pending()) {
      check_reload(now);
    } else if (now >= next_reload_at_ && !fault_active() && now - last_fault_end_ >= options_.reload_settle &&
               now + 20 < production_end) {
      start_reload(now);
      next_reload_at_ = now + options_.reload_every;
    }
  }
}

void Soak::progress(double now) {
  const double window = options_.window;
  const std::lock_guard lock(shared_->seen.mutex);
  const auto& seen = shared_->seen;
  std::vector<double> recent;
  for (const auto& a : seen.first_copies) {
    if (a.sent >= now - window) recent.push_back(a.latency * 1000);
  }
  std::string rss;
  if (!seen.samples.empty()) {
    for (std::size_t i = 0; i < seen.samples.back().rss_mb.size(); ++i) {
      rss += " " + std::string(1, static_cast<char>('a' + i)) + " " + fixed(seen.samples.back().rss_mb[i], 1);
    }
  }
  std::cerr << "soak: [" << clock_text(now) << "] posts " << next_post_ << ", alerts read " << seen.alerts_read
            << "; last " << fixed(window, 0) << " s: p50 " << fixed(percentile(recent, 0.5), 0) << " ms, p99 "
            << fixed(percentile(recent, 0.99), 0) << " ms; RSS MB" << rss << "; lag "
            << (seen.samples.empty() ? -1 : seen.samples.back().lag) << "; faults " << faults_.size() << ", reloads "
            << reloads_.size() << '\n';
}

int Soak::run() {
  prepare();
  std::cerr << "soak: mock cluster at " << shared_->bootstrap << "; work folder " << workdir_.string() << '\n';
  start_instances();
  if (!wait_until_ready(180)) {
    std::cerr << "soak: the instances did not get their partitions within 180 s; logs in " << workdir_ << '\n';
    return 2;
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the group settles
  // The stream starts now; the reader reads both topics from their beginning.
  shared_->start = Clock::now();
  start_wall_ = std::chrono::system_clock::now();
  shared_->start_epoch_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(start_wall_.time_since_epoch()).count();
  {
    const std::lock_guard lock(shared_->epochs.mutex);
    shared_->epochs.confirmed.emplace_back(0.0, hash_a_);
  }
  std::thread reader([this] {
    try {
      read_outputs(*shared_);
    } catch (const std::exception& e) {
      std::cerr << "soak: reader: " << e.what() << '\n';
      const std::lock_guard lock(shared_->seen.mutex);
      ++shared_->seen.reader_errors;
      shared_->seen.first_reader_error = e.what();
    }
  });
  std::thread sampler([this] {
    try {
      sample(*shared_);
    } catch (const std::exception& e) {
      std::cerr << "soak: sampler: " << e.what() << '\n';
    }
  });
  const double production_end = options_.minutes * 60;
  next_fault_at_ = options_.fault_every;
  next_reload_at_ = options_.reload_every;
  next_progress_ = options_.window;
  std::cerr << "soak: stream started: " << options_.rate << " posts/s for " << fixed(options_.minutes, 1)
            << " min, faults every " << options_.fault_every << " s, reloads every " << options_.reload_every << " s\n";
  double now = 0;
  double last_events = -1;
  while ((now = now_s()) < production_end && !g_interrupted.load()) {
    produce_due(now);
    if (now - last_events >= 0.1) {
      poll_events(now, production_end);
      last_events = now;
    }
    if (now >= next_progress_) {
      progress(now);
      next_progress_ += options_.window;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!g_interrupted.load()) produce_due(production_end);
  const double produced_seconds = now_s();
  // Any fault still on ends here (none should be: they are only started when
  // they end before the stream stops), and a reload in flight gets its answer.
  while (fault_active() || reload_pending()) {
    poll_events(now_s(), 1e18);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (g_interrupted.load()) break;
  }
  if (rd_kafka_flush(producer_.get(), 60000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    incidents_.push_back("the posts producer could not flush within 60 s");
  }

  // Drain: every expected alert and dead letter (of the posts in the topic;
  // all delivered ones, unless they do not show up within a minute), or the
  // drain timeout.
  std::uint64_t delivered = 0;
  for (std::uint64_t i = 0; i < next_post_; ++i) delivered += shared_->delivery[i].load() == 1 ? 1 : 0;
  const auto drain_start = Clock::now();
  bool drained = false;
  while (seconds_since(drain_start) < options_.drain_seconds && !g_interrupted.load()) {
    check_instances(now_s());
    {
      const std::lock_guard lock(shared_->seen.mutex);
      const auto& seen = shared_->seen;
      std::uint64_t expected = 0;
      std::uint64_t expected_dead = 0;
      for (std::uint64_t i = 0; i < next_post_; ++i) {
        if (seen.post_copies[i] == 0) continue;
        if (plan_.kind[i] == PostKind::kThreat) expected += plan_.templates[plan_.tmpl[i]].rules.size();
        if (plan_.kind[i] == PostKind::kBad) ++expected_dead;
      }
      drained = (seen.posts_seen >= delivered || seconds_since(drain_start) > 60) &&
                seen.alert_copies.size() >= expected && seen.dead_letter_copies.size() >= expected_dead;
    }
    if (drained) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  const double drain_seconds = seconds_since(drain_start);
  // Late copies (a duplicate written after the last expected alert) get a chance to show.
  std::this_thread::sleep_for(std::chrono::seconds(5));
  for (const auto& instance : instances_) {
    if (instance->running()) instance->process()->signal(SIGTERM);
  }
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    Process& process = *instances_[i]->process();
    if (!process.wait(std::chrono::seconds(30))) {
      incidents_.push_back("instance " + instances_[i]->name() + " did not stop within 30 s of SIGTERM");
    } else if (process.status() != 0) {
      incidents_.push_back("instance " + instances_[i]->name() + " exited with status " +
                           std::to_string(process.status()) + " on SIGTERM");
    }
    shared_->pids[i].store(0);
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  shared_->stop_sampler.store(true);
  shared_->stop_reader.store(true);
  sampler.join();
  reader.join();
  if (g_interrupted.load()) incidents_.push_back("interrupted");
  std::error_code ignored;
  fs::remove(workdir_ / "wachtpost", ignored);  // the copy of the binary; the logs stay when asked or on FAIL
  const int status = summarise(produced_seconds, drain_seconds, drained);
  if (status == 0 && !options_.keep && options_.workdir.empty()) {
    fs::remove_all(workdir_);
  } else {
    std::cout << "logs, audit logs and config: " << workdir_.string() << '\n';
  }
  return status;
}

// ---------------------------------------------------------------- the summary

struct Row {
  std::string name;
  std::string value;
};

int Soak::summarise(double production_seconds, double drain_seconds, bool drained) {
  Observations& seen = shared_->seen;
  const std::lock_guard lock(seen.mutex);

  // Logs: what the instances said about the faults, and when each aborted a
  // transaction (seconds since the start).
  std::vector<double> abort_times;
  std::uint64_t read_back = 0;
  std::uint64_t lost_partitions = 0;
  std::uint64_t errors_logged = 0;
  for (const auto& instance : instances_) {
    for (const auto& log : instance->logs()) {
      for (const auto& line : lines_of(read_text(log))) {
        // "2026-11-29T21:55:35.476 warning message", local time
        const auto space = line.find(' ');
        const std::string level =
            space == std::string::npos ? "" : line.substr(space + 1, line.find(' ', space + 1) - space - 1);
        if (line.find("transaction aborted") != std::string::npos) {
          std::tm tm{};
          std::istringstream in(line.substr(0, 19));
          in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
          tm.tm_isdst = -1;
          const double millis = line.size() > 23 ? std::strtod(line.substr(19, 4).c_str(), nullptr) : 0.0;
          const auto at = std::chrono::system_clock::from_time_t(std::mktime(&tm));
          abort_times.push_back(std::chrono::duration<double>(at - start_wall_).count() + millis);
        }
        if (line.find("read back ") != std::string::npos) ++read_back;
        if (line.find("lost ") != std::string::npos && line.find(" partitions;") != std::string::npos) {
          ++lost_partitions;
        }
        if (level == "error" || level == "critical") ++errors_logged;
      }
    }
  }
  const std::uint64_t aborted = abort_times.size();

  std::uint64_t posts_sent = next_post_;
  std::uint64_t not_delivered = 0;
  std::uint64_t threats = 0;
  std::uint64_t bad = 0;
  std::uint64_t expected = 0;
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  std::vector<std::string> lost_examples;
  std::vector<std::string> duplicate_examples;
  std::uint64_t duplicated_aborted = 0;  // copies of aborted transactions the mock shows
  std::uint64_t dead_expected = 0;
  std::uint64_t dead_lost = 0;
  std::uint64_t dead_duplicated = 0;
  std::uint64_t posts_missing = 0;  // acknowledged, never in the topic: lost before wachtpost
  std::uint64_t posts_twice = 0;    // in the topic more than once (a producer retry): expected as often
  std::vector<std::string> missing_examples;
  for (std::uint64_t i = 0; i < posts_sent; ++i) {
    if (shared_->delivery[i].load() != 1) {
      ++not_delivered;
      continue;
    }
    const std::uint32_t in_topic = seen.post_copies[i];
    if (in_topic == 0) {
      ++posts_missing;
      if (missing_examples.size() < 5) {
        missing_examples.push_back(post_id(i) + ": acknowledged as " + kPostsTopic + "/" +
                                   std::to_string(shared_->post_partition[i].load()) + "@" +
                                   std::to_string(shared_->post_offset[i].load()) + " at " +
                                   clock_text(static_cast<double>(shared_->sent_ns[i].load()) / 1e9));
      }
      continue;
    }
    if (in_topic > 1) ++posts_twice;
    if (plan_.kind[i] == PostKind::kBad) {
      ++bad;
      dead_expected += in_topic;
      const auto it = seen.dead_letter_copies.find(i);
      const std::uint32_t got = it == seen.dead_letter_copies.end() ? 0 : it->second;
      if (got < in_topic) dead_lost += in_topic - got;
      if (got > in_topic) dead_duplicated += got - in_topic;
      continue;
    }
    if (plan_.kind[i] != PostKind::kThreat) continue;
    ++threats;
    const auto& rules = plan_.templates[plan_.tmpl[i]].rules;
    for (std::size_t slot = 0; slot < rules.size(); ++slot) {
      expected += in_topic;
      const auto it = seen.alert_copies.find(alert_key(i, slot));
      const std::uint32_t got = it == seen.alert_copies.end() ? 0 : it->second;
      if (got < in_topic) {
        lost += in_topic - got;
        if (lost_examples.size() < 10) {
          const auto partition = shared_->post_partition[i].load();
          std::string committed = "?";
          for (auto sample = seen.samples.rbegin(); sample != seen.samples.rend(); ++sample) {
            if (static_cast<std::size_t>(partition) < sample->committed.size()) {
              committed = std::to_string(sample->committed[static_cast<std::size_t>(partition)]);
              break;
            }
          }
          lost_examples.push_back(post_id(i) + " " + rules[slot] + ": " + kPostsTopic + "/" +
                                  std::to_string(partition) + "@" + std::to_string(shared_->post_offset[i].load()) +
                                  ", acknowledged at " +
                                  clock_text(static_cast<double>(shared_->sent_ns[i].load()) / 1e9) +
                                  "; the group's last committed offset there " + committed);
        }
      } else if (got > in_topic) {
        // The mock shows the records of an aborted transaction (README,
        // "Exactly once"); wachtpost writes the batch again in the next one.
        // A copy is put down to that when every copy has the same alert id
        // and source, and an instance logged an abort between the first
        // copy's read and the last one's: a real broker hides the first.
        const auto& copies = seen.copy_notes[alert_key(i, slot)];
        bool same = !copies.empty();
        for (const auto& c : copies) {
          same = same && c.alert_id == copies.front().alert_id && c.source == copies.front().source;
        }
        std::uint64_t aborts_between = 0;
        if (same) {
          for (const double at : abort_times) {
            if (at >= copies.front().read_at - 1 && at <= copies.back().read_at + 1) ++aborts_between;
          }
        }
        const std::uint64_t extra = got - in_topic;
        const std::uint64_t explained = std::min(extra, aborts_between);
        duplicated += extra - explained;
        duplicated_aborted += explained;
        if (duplicate_examples.size() < 10) {
          std::string text;
          for (const auto& c : copies) {
            text += "\n      " + c.where + " " + c.alert_id + " from " + kPostsTopic + "/" + c.source + ", read at " +
                    clock_text(c.read_at);
          }
          duplicate_examples.push_back(post_id(i) + " " + rules[slot] + ", " + std::to_string(got) + " copies" +
                                       (explained == extra ? " (the first of an aborted transaction)" : "") + ":" +
                                       text);
        }
      }
    }
  }
  std::uint64_t received_unique = 0;
  for (const auto& [key, copies] : seen.alert_copies) received_unique += copies > 0 ? 1 : 0;

  // Latency: by send time; posts sent in a fault window (from 2 s before a
  // fault to fault_grace after it) are reported but not judged.
  const auto in_fault = [&](double sent) {
    return std::any_of(faults_.begin(), faults_.end(), [&](const Fault& f) {
      const double end = f.end < 0 ? 1e18 : f.end;
      return sent >= f.start - 2 && sent <= end + options_.fault_grace;
    });
  };
  std::vector<double> all_ms;
  std::vector<double> calm_ms;
  const auto windows = static_cast<std::size_t>(std::ceil(options_.minutes * 60 / options_.window));
  std::vector<std::vector<double>> window_ms(std::max<std::size_t>(windows, 1));
  for (const auto& a : seen.first_copies) {
    const double ms = a.latency * 1000;
    all_ms.push_back(ms);
    if (!in_fault(a.sent)) calm_ms.push_back(ms);
    const auto w = std::min(window_ms.size() - 1, static_cast<std::size_t>(a.sent / options_.window));
    window_ms[w].push_back(ms);
  }
  const double calm_p99 = percentile(calm_ms, 0.99);
  struct FaultEffect {
    double max_latency = 0;  // seconds, alerts of posts sent during the fault
    double caught_up = 0;    // seconds after its end until the last alert of a post sent before its end was read
  };
  std::vector<FaultEffect> fault_effects(faults_.size());
  for (std::size_t i = 0; i < faults_.size(); ++i) {
    const Fault& f = faults_[i];
    const double end = f.end < 0 ? production_seconds : f.end;
    for (const auto& a : seen.first_copies) {
      if (a.sent >= f.start && a.sent <= end)
        fault_effects[i].max_latency = std::max(fault_effects[i].max_latency, a.latency);
      if (a.sent <= end) fault_effects[i].caught_up = std::max(fault_effects[i].caught_up, a.sent + a.latency - end);
    }
  }

  // RSS: the first instance is never killed; its samples after the warm-up
  // are judged.
  const double warmup = options_.warmup >= 0 ? options_.warmup : production_seconds / 3;
  const bool judge_rss = production_seconds - warmup >= options_.rss_min_judged_minutes * 60;
  std::vector<std::pair<double, double>> rss_points;
  for (const auto& s : seen.samples) {
    if (s.t >= warmup && s.t <= production_seconds && !s.rss_mb.empty() && std::isfinite(s.rss_mb[0])) {
      rss_points.emplace_back(s.t / 3600.0, s.rss_mb[0]);
    }
  }
  const auto mean_between = [&](double from, double to) {
    double sum = 0;
    int n = 0;
    for (const auto& [h, mb] : rss_points) {
      if (h * 3600 >= from && h * 3600 < to) {
        sum += mb;
        ++n;
      }
    }
    return n == 0 ? std::nan("") : sum / n;
  };
  const double rss_first = mean_between(warmup, warmup + options_.window);
  const double rss_last = mean_between(production_seconds - options_.window, production_seconds + 1);
  const double rss_growth = rss_last - rss_first;
  const double rss_slope = slope(rss_points);
  double rss_peak = 0;
  double rss_start = std::nan("");
  std::int64_t lag_max = 0;
  std::int64_t trimmed_unread = 0;
  double soak_rss_last = 0;
  for (const auto& s : seen.samples) {
    if (!s.rss_mb.empty() && std::isfinite(s.rss_mb[0])) {
      rss_peak = std::max(rss_peak, s.rss_mb[0]);
      if (!std::isfinite(rss_start)) rss_start = s.rss_mb[0];
    }
    lag_max = std::max(lag_max, s.lag);
    trimmed_unread = std::max(trimmed_unread, s.trimmed_unread);
    soak_rss_last = s.soak_rss_mb;
  }

  // Logs: what the instances said about the faults.

  std::size_t reloads_confirmed = 0;
  for (const auto& r : reloads_) reloads_confirmed += r.confirmed >= 0 ? 1 : 0;

  // The verdict.
  std::vector<std::string> failures;
  std::vector<std::string> notes;
  if (lost > 0) failures.push_back(std::to_string(lost) + " alerts lost");
  if (duplicated > 0) failures.push_back(std::to_string(duplicated) + " alerts duplicated");
  if (seen.unexpected > 0) failures.push_back(std::to_string(seen.unexpected) + " unexpected alerts");
  if (seen.wrong > 0) failures.push_back(std::to_string(seen.wrong) + " alerts with wrong content");
  if (seen.stale_hash > 0)
    failures.push_back(std::to_string(seen.stale_hash) + " alerts matched with a set not live when detected");
  if (dead_lost > 0 || dead_duplicated > 0 || seen.dead_letters_unexpected > 0) {
    failures.push_back("dead letters: " + std::to_string(dead_lost) + " lost, " + std::to_string(dead_duplicated) +
                       " duplicated, " + std::to_string(seen.dead_letters_unexpected) + " unexpected");
  }
  if (reloads_confirmed != reloads_.size()) {
    failures.push_back(std::to_string(reloads_.size() - reloads_confirmed) + " reloads not confirmed");
  }
  if (!judge_rss) {
    notes.push_back("memory not judged: less than " + fixed(options_.rss_min_judged_minutes, 0) +
                    " min after the warm-up");
  } else if (!std::isfinite(rss_growth) || rss_points.size() < 3) {
    failures.push_back("too few RSS samples after the warm-up to judge memory");
  } else if (rss_growth > options_.rss_growth_max_mb && rss_slope > options_.rss_slope_max_mb_per_hour) {
    failures.push_back("RSS grew " + fixed(rss_growth, 1) + " MB after the warm-up (slope " + fixed(rss_slope, 1) +
                       " MB/h)");
  }
  if (!std::isfinite(calm_p99)) {
    failures.push_back("no alert outside fault windows to judge latency on");
  } else if (calm_p99 > options_.p99_max_ms) {
    failures.push_back("p99 latency outside fault windows " + fixed(calm_p99, 0) + " ms > " +
                       fixed(options_.p99_max_ms, 0) + " ms");
  }
  if (not_delivered > 0) failures.push_back(std::to_string(not_delivered) + " posts not delivered to the topic");
  if (posts_missing > 0) {
    failures.push_back(std::to_string(posts_missing) +
                       " posts acknowledged but never in the topic (lost before wachtpost: producer or mock)");
  }
  if (trimmed_unread > 0) failures.push_back(std::to_string(trimmed_unread) + " posts dropped by the mock unread");
  if (seen.reader_errors > 0) failures.push_back("reader errors: " + seen.first_reader_error);
  for (const auto& incident : incidents_) failures.push_back(incident);
  const bool pass = failures.empty();

  // The table.
  std::ostringstream out;
  out << "\nwachtpost soak summary\n======================\n";
  std::vector<Row> rows = {
      {"duration", fixed(production_seconds / 60, 1) + " min of stream, then " + fixed(drain_seconds, 1) +
                       " s until every alert was read" + (drained ? "" : " (drain timed out)")},
      {"instances", std::to_string(options_.instances) + " in group '" + kGroup + "' (" + describe_a_ + ")"},
      {"posts produced", std::to_string(posts_sent) + " at " + fixed(options_.rate, 0) + "/s (" +
                             std::to_string(threats) + " threats, " + std::to_string(bad) + " bad lines; " +
                             std::to_string(not_delivered) + " not acknowledged, " + std::to_string(posts_missing) +
                             " acknowledged but not in the topic, " + std::to_string(posts_twice) + " in it twice)"},
      {"alerts expected", std::to_string(expected)},
      {"alerts received", std::to_string(seen.alerts_read) + " (" + std::to_string(received_unique) + " distinct)"},
      {"lost", std::to_string(lost)},
      {"duplicated", std::to_string(duplicated) + " (and " + std::to_string(duplicated_aborted) +
                         " copies of aborted transactions, which the mock shows and a broker hides)"},
      {"unexpected / wrong", std::to_string(seen.unexpected) + " / " + std::to_string(seen.wrong)},
      {"dead letters", std::to_string(dead_expected) + " expected, " + std::to_string(dead_lost) + " lost, " +
                           std::to_string(dead_duplicated) + " duplicated"},
      {"faults injected", std::to_string(faults_.size())},
      {"reloads", std::to_string(reloads_.size()) + " done, " + std::to_string(reloads_confirmed) +
                      " confirmed (audit log of every instance), " + std::to_string(seen.stale_hash) +
                      " alerts on a set not live when detected"},
      {"alerts by set", ""},
      {"RSS instance a", "start " + fixed(rss_start, 1) + " MB, first window after " + fixed(warmup, 0) +
                             " s warm-up " + fixed(rss_first, 1) + " MB, last window " + fixed(rss_last, 1) +
                             " MB, growth " + fixed(rss_growth, 1) + " MB, slope " + fixed(rss_slope, 1) +
                             " MB/h, peak " + fixed(rss_peak, 1) + " MB"},
      {"latency (all)", "p50 " + fixed(percentile(all_ms, 0.5), 0) + " ms, p99 " + fixed(percentile(all_ms, 0.99), 0) +
                            " ms, max " + fixed(percentile(all_ms, 1.0), 0) + " ms"},
      {"latency (no fault)", "p50 " + fixed(percentile(calm_ms, 0.5), 0) + " ms, p99 " + fixed(calm_p99, 0) +
                                 " ms, max " + fixed(percentile(calm_ms, 1.0), 0) + " ms (" +
                                 std::to_string(calm_ms.size()) + " alerts)"},
      {"lag max", std::to_string(lag_max) + " posts"},
      {"instance logs", std::to_string(aborted) + " aborted transactions, " + std::to_string(read_back) +
                            " read-backs, " + std::to_string(lost_partitions) + " partition losses, " +
                            std::to_string(errors_logged) + " error lines"},
      {"soak process RSS", fixed(soak_rss_last, 1) + " MB (mock cluster, reader, both sets)"},
  };
  for (const auto& [hash, n] : seen.by_hash) {
    rows[11].value += (rows[11].value.empty() ? "" : ", ") + hash + " " + std::to_string(n);
  }
  for (const auto& row : rows) {
    out << "  " << row.name << std::string(row.name.size() < 20 ? 20 - row.name.size() : 1, ' ') << row.value << '\n';
  }
  out << "\nfaults (latency: of the alerts of posts sent during the fault; caught up: when the last alert of a\n"
         "post sent before its end was read, after its end):\n";
  for (std::size_t i = 0; i < faults_.size(); ++i) {
    const Fault& f = faults_[i];
    out << "  [" << clock_text(f.start) << " - " << (f.end < 0 ? std::string("?") : clock_text(f.end)) << "] " << f.kind
        << ": " << f.detail << "; latency max " << fixed(fault_effects[i].max_latency, 1) << " s, caught up "
        << fixed(fault_effects[i].caught_up, 1) << " s after\n";
  }
  out << "reloads:\n";
  for (const auto& r : reloads_) {
    out << "  [" << clock_text(r.requested) << "] -> " << r.to_hash << ": " << r.result;
    if (r.confirmed >= 0) out << " after " << fixed(r.confirmed - r.requested, 1) << " s";
    out << '\n';
  }
  out << "\nper window of " << fixed(options_.window, 0) << " s (by when the broker acknowledged each post):\n";
  out << "  window    alerts   p50 ms   p99 ms   max ms   RSS a MB";
  for (std::size_t i = 1; i < instances_.size(); ++i) out << "   RSS " << static_cast<char>('a' + i) << " MB";
  out << "   lag max  events\n";
  for (std::size_t w = 0; w < window_ms.size(); ++w) {
    const double from = static_cast<double>(w) * options_.window;
    const double to = from + options_.window;
    std::vector<double> rss(instances_.size(), std::nan(""));
    std::int64_t lag = -1;
    for (const auto& s : seen.samples) {
      if (s.t < from || s.t >= to) continue;
      for (std::size_t i = 0; i < s.rss_mb.size(); ++i) {
        if (std::isfinite(s.rss_mb[i])) rss[i] = s.rss_mb[i];  // the last sample of the window
      }
      lag = std::max(lag, s.lag);
    }
    std::string events;
    for (const auto& f : faults_) {
      if (f.start < to && (f.end < 0 ? 1e18 : f.end) >= from) events += (events.empty() ? "" : ", ") + f.kind;
    }
    for (const auto& r : reloads_) {
      if (r.requested >= from && r.requested < to) events += (events.empty() ? "" : ", ") + std::string("reload");
    }
    char line[256];
    std::snprintf(line, sizeof line, "  %-7s %8zu %8s %8s %8s %10s", clock_text(from).c_str(), window_ms[w].size(),
                  fixed(percentile(window_ms[w], 0.5), 0).c_str(), fixed(percentile(window_ms[w], 0.99), 0).c_str(),
                  fixed(percentile(window_ms[w], 1.0), 0).c_str(), fixed(rss[0], 1).c_str());
    out << line;
    for (std::size_t i = 1; i < rss.size(); ++i) {
      std::snprintf(line, sizeof line, " %10s", fixed(rss[i], 1).c_str());
      out << line;
    }
    std::snprintf(line, sizeof line, " %9s  %s", lag < 0 ? "-" : std::to_string(lag).c_str(), events.c_str());
    out << line << '\n';
  }
  if (!lost_examples.empty() || !duplicate_examples.empty() || !seen.wrong_examples.empty() ||
      !missing_examples.empty()) {
    out << "\nexamples:\n";
    for (const auto& e : missing_examples) out << "  post not in the topic: " << e << '\n';
    for (const auto& e : lost_examples) out << "  lost: " << e << '\n';
    for (const auto& e : duplicate_examples) out << "  duplicated: " << e << '\n';
    for (const auto& e : seen.wrong_examples) out << "  " << e << '\n';
  }
  out << "\nverdict rules: every post in the topic; lost = duplicated = unexpected = wrong = 0 (a copy an\n"
         "  aborted transaction left behind is no duplicate); every dead letter once; every reload\n"
         "  confirmed, and every alert on the set live when it was detected; RSS of instance a after the warm-up ("
      << fixed(warmup, 0) << " s) not both\n  more than " << fixed(options_.rss_growth_max_mb, 0)
      << " MB up and rising faster than " << fixed(options_.rss_slope_max_mb_per_hour, 0)
      << " MB/h (judged when at least " << fixed(options_.rss_min_judged_minutes, 0)
      << " min follow the warm-up);\n  p99 latency outside fault windows <= " << fixed(options_.p99_max_ms, 0)
      << " ms; no instance exiting on its own.\n";
  out << (pass ? "PASS" : "FAIL") << ": ";
  if (pass) {
    out << "no alert lost or duplicated" << (judge_rss ? ", memory flat" : "") << ", latency in bounds";
  }
  for (std::size_t i = 0; i < failures.size(); ++i) out << (i == 0 ? "" : "; ") << failures[i];
  for (const auto& note : notes) out << " (" << note << ")";
  out << '\n';
  std::cout << out.str() << std::flush;

  if (!options_.json.empty()) {
    std::string json;
    JsonWriter w(json);
    const auto number = [&](std::string_view key, double value, int digits) -> JsonWriter& {
      return w.key(key).decimal(value, digits);
    };
    w.begin_object();
    w.field("verdict", pass ? "PASS" : "FAIL");
    w.key("failures").begin_array();
    for (const auto& f : failures) w.string(f);
    w.end_array();
    w.key("notes").begin_array();
    for (const auto& n : notes) w.string(n);
    w.end_array();
    w.key("memory_judged").boolean(judge_rss);
    w.key("options").begin_object();
    number("minutes", options_.minutes, 2);
    number("rate", options_.rate, 1);
    number("fault_every_s", options_.fault_every, 1);
    w.field("faults", options_.faults);
    number("reload_every_s", options_.reload_every, 1);
    w.field("instances", static_cast<std::int64_t>(options_.instances));
    number("threat_share", options_.threat_share, 4);
    w.field("seed", static_cast<std::int64_t>(options_.seed));
    number("p99_max_ms", options_.p99_max_ms, 0);
    number("rss_growth_max_mb", options_.rss_growth_max_mb, 1);
    number("rss_slope_max_mb_per_hour", options_.rss_slope_max_mb_per_hour, 1);
    w.end_object();
    number("stream_seconds", production_seconds, 1);
    number("drain_seconds", drain_seconds, 1);
    w.field("posts_produced", static_cast<std::int64_t>(posts_sent));
    w.field("posts_not_delivered", static_cast<std::int64_t>(not_delivered));
    w.field("posts_missing_from_topic", static_cast<std::int64_t>(posts_missing));
    w.field("posts_in_topic_twice", static_cast<std::int64_t>(posts_twice));
    w.field("alerts_expected", static_cast<std::int64_t>(expected));
    w.field("alerts_received", static_cast<std::int64_t>(seen.alerts_read));
    w.field("lost", static_cast<std::int64_t>(lost));
    w.field("duplicated", static_cast<std::int64_t>(duplicated));
    w.field("duplicated_aborted_copies", static_cast<std::int64_t>(duplicated_aborted));
    w.field("unexpected", static_cast<std::int64_t>(seen.unexpected));
    w.field("wrong", static_cast<std::int64_t>(seen.wrong));
    w.field("dead_letters_expected", static_cast<std::int64_t>(dead_expected));
    w.field("dead_letters_lost", static_cast<std::int64_t>(dead_lost));
    w.field("dead_letters_duplicated", static_cast<std::int64_t>(dead_duplicated));
    w.key("faults").begin_array();
    for (const auto& f : faults_) {
      w.begin_object().field("kind", f.kind).field("detail", f.detail);
      number("start_s", f.start, 1);
      number("end_s", f.end, 1);
      const auto i = static_cast<std::size_t>(&f - faults_.data());
      number("max_latency_s", fault_effects[i].max_latency, 2);
      number("caught_up_s", fault_effects[i].caught_up, 2);
      w.end_object();
    }
    w.end_array();
    w.key("reloads").begin_array();
    for (const auto& r : reloads_) {
      w.begin_object().field("to", r.to_hash).field("result", r.result);
      number("requested_s", r.requested, 1);
      number("confirmed_s", r.confirmed, 1);
      w.end_object();
    }
    w.end_array();
    w.field("alerts_on_old_set_after_reload", static_cast<std::int64_t>(seen.stale_hash));
    w.key("rss_instance_a_mb").begin_object();
    number("start", rss_start, 1);
    number("warmup_s", warmup, 0);
    number("first_window", rss_first, 1);
    number("last_window", rss_last, 1);
    number("growth", rss_growth, 1);
    number("slope_per_hour", rss_slope, 2);
    number("peak", rss_peak, 1);
    w.end_object();
    w.key("latency_ms").begin_object();
    number("p50", percentile(all_ms, 0.5), 1);
    number("p99", percentile(all_ms, 0.99), 1);
    number("max", percentile(all_ms, 1.0), 1);
    number("no_fault_p50", percentile(calm_ms, 0.5), 1);
    number("no_fault_p99", calm_p99, 1);
    number("no_fault_max", percentile(calm_ms, 1.0), 1);
    w.end_object();
    w.key("windows").begin_array();
    for (std::size_t i = 0; i < window_ms.size(); ++i) {
      w.begin_object();
      number("from_s", static_cast<double>(i) * options_.window, 0);
      w.field("alerts", static_cast<std::int64_t>(window_ms[i].size()));
      number("p50_ms", percentile(window_ms[i], 0.5), 1);
      number("p99_ms", percentile(window_ms[i], 0.99), 1);
      number("max_ms", percentile(window_ms[i], 1.0), 1);
      w.end_object();
    }
    w.end_array();
    w.key("samples").begin_array();
    for (const auto& s : seen.samples) {
      w.begin_object();
      number("t", s.t, 1);
      w.key("rss_mb").begin_array();
      for (const double mb : s.rss_mb) w.decimal(mb, 1);
      w.end_array();
      number("soak_rss_mb", s.soak_rss_mb, 1);
      w.field("lag", s.lag);
      w.end_object();
    }
    w.end_array();
    w.key("instance_logs").begin_object();
    w.field("aborted_transactions", static_cast<std::int64_t>(aborted));
    w.field("read_backs", static_cast<std::int64_t>(read_back));
    w.field("partition_losses", static_cast<std::int64_t>(lost_partitions));
    w.field("error_lines", static_cast<std::int64_t>(errors_logged));
    w.end_object();
    w.end_object();
    const fs::path path(options_.json);
    if (path.has_parent_path()) fs::create_directories(path.parent_path());
    std::ofstream(path) << json << '\n';
  }
  return pass ? 0 : 1;
}

}  // namespace wachtpost::soak

int main(int argc, char** argv) {
  using wachtpost::soak::Options;
  Options options;
  CLI::App app{"wachtpost soak test: a long steady stream on the mock cluster with faults and reloads"};
  app.add_option("--minutes", options.minutes, "how long posts are produced")->capture_default_str();
  app.add_option("--rate", options.rate, "posts a second")->capture_default_str();
  app.add_option("--fault-every", options.fault_every, "seconds between faults (0: none)")->capture_default_str();
  app.add_option("--faults", options.faults, "fault kinds, in turn: broker-down, request-errors, sigkill, slow-broker")
      ->capture_default_str();
  app.add_option("--fault-seconds", options.fault_seconds, "how long a broker fault lasts")->capture_default_str();
  app.add_option("--kill-restart-seconds", options.kill_restart_seconds, "how long a killed instance stays down")
      ->capture_default_str();
  app.add_option("--reload-every", options.reload_every, "seconds between reloads (0: none)")->capture_default_str();
  app.add_option("--instances", options.instances, "wachtpost run processes in the group")
      ->check(CLI::Range(1, 8))
      ->capture_default_str();
  app.add_option("--threat-share", options.threat_share, "share of posts that alert")->capture_default_str();
  app.add_option("--bad-share", options.bad_share, "share of lines that are dead letters")->capture_default_str();
  app.add_option("--seed", options.seed, "seed of the stream")->capture_default_str();
  app.add_option("--sample-every", options.sample_every, "seconds between RSS and lag samples")->capture_default_str();
  app.add_option("--window", options.window, "seconds per window of the table")->capture_default_str();
  app.add_option("--warmup", options.warmup, "seconds of RSS not judged (default: a third of the run)");
  app.add_option("--rss-min-judged-minutes", options.rss_min_judged_minutes,
                 "RSS is judged only with at least this much of the run after the warm-up")
      ->capture_default_str();
  app.add_option("--fault-grace", options.fault_grace, "seconds after a fault whose posts' latency is not judged")
      ->capture_default_str();
  app.add_option("--reload-settle", options.reload_settle, "seconds after a fault before a reload may start")
      ->capture_default_str();
  app.add_option("--p99-max-ms", options.p99_max_ms, "bound of p99 latency outside fault windows")
      ->capture_default_str();
  app.add_option("--rss-growth-max-mb", options.rss_growth_max_mb, "bound of RSS growth after the warm-up")
      ->capture_default_str();
  app.add_option("--rss-slope-max-mb-per-hour", options.rss_slope_max_mb_per_hour,
                 "bound of the RSS slope after the warm-up")
      ->capture_default_str();
  app.add_option("--drain-seconds", options.drain_seconds, "how long to wait for the last alerts")
      ->capture_default_str();
  app.add_option("--fetch-wait-ms", options.fetch_wait_ms, "wachtpost's consumer fetch.wait.max.ms")
      ->capture_default_str();
  app.add_option("--linger-ms", options.linger_ms,
                 "the posts producer's linger.ms (bigger batches: the mock finds a fetch offset by walking every "
                 "batch a partition holds)")
      ->capture_default_str();
  app.add_flag("--idempotent-producer", options.idempotent_producer,
               "produce posts idempotently with 5 requests in flight (the mock can lose posts then)");
  app.add_option("--kafka-debug", options.kafka_debug,
                 "librdkafka debug contexts for the instances' clients (e.g. eos,msg), into their logs");
  app.add_option("--json", options.json, "also write the summary as JSON to this file");
  app.add_option("--wachtpost", options.wachtpost, "the wachtpost binary")->capture_default_str();
  app.add_option("--source", options.source, "the source tree (patterns, tests/data)")->capture_default_str();
  app.add_option("--cache-dir", options.cache_dir, "compiled-database cache (default ~/.cache/wachtpost-soak)");
  app.add_option("--workdir", options.workdir, "work folder, kept (default: a temporary one, removed on PASS)");
  app.add_flag("--keep", options.keep, "keep the work folder on PASS too");
  CLI11_PARSE(app, argc, argv);
  if (options.rate <= 0 || options.minutes <= 0 || options.window <= 0 || options.sample_every <= 0) {
    std::cerr << "wachtpost_soak: --rate, --minutes, --window and --sample-every must be positive\n";
    return 2;
  }
  std::signal(SIGINT, wachtpost::soak::on_interrupt);
  std::signal(SIGTERM, wachtpost::soak::on_interrupt);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    wachtpost::soak::Soak soak(options);
    return soak.run();
  } catch (const std::exception& e) {
    std::cerr << "wachtpost_soak: " << e.what() << '\n';
    return 2;
  }
}
