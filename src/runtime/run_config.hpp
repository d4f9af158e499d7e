#pragma once
// The configuration of `wachtpost run`: one YAML file (docs/configuration.md
// documents every key), read once at start. Anything wrong in it stops the
// start with a message naming the file, line and key, before any client
// connects, so a typo never turns into a silently ignored setting.
//
// The three passthrough sections hand librdkafka properties (security.protocol,
// sasl.*, ssl.*, tuning) to the clients unchanged. The runtime applies, for
// each client: `kafka`, then `consumer` or `producer` (a key there overrides
// the same key in `kafka`), then the managed properties last, so an operator
// can tune everything except what exactly-once rests on.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wachtpost {

// librdkafka property name and value, in file order.
using KafkaProperties = std::vector<std::pair<std::string, std::string>>;

// Who may make a pattern set live (docs/configuration.md, `reload`).
enum class ReloadPolicy : std::uint8_t {
  kFourEyes,        // a second operator approves the exact hash another one proposed
  kSingleOperator,  // a set that passes the gate goes live at once (demo, local use)
};

// "four-eyes", "single-operator": the spelling of the config file and of --reload-policy.
std::string_view reload_policy_name(ReloadPolicy policy);
// The policy spelled `text` (exactly, as reload_policy_name writes it), or nullopt.
std::optional<ReloadPolicy> parse_reload_policy(std::string_view text);

// How a new pattern set goes live without a restart.
struct ReloadConfig {
  ReloadPolicy policy = ReloadPolicy::kFourEyes;
  std::string audit_log;            // append-only JSON lines; empty: audit lines go to the log only
  unsigned watch_seconds = 0;       // poll the pattern files this often and propose on a change; 0: no watch
  std::vector<std::string> corpus;  // labelled NDJSON files a set must pass before it may go live
  double min_recall = 0.90;         // on `corpus`
  double max_false_alerts = 0.05;   // share of harmless posts in `corpus` that alert
};

// A whole-number setting's key and bounds (docs/configuration.md); the flags
// that set the same thing take the same bounds.
struct ConfigRange {
  std::string_view key;  // as written in the file
  std::uint64_t min;
  std::uint64_t max;
};

inline constexpr ConfigRange kDeskMaxConnectionsRange{"desk.max_connections", 1, 100'000};
inline constexpr ConfigRange kDeskIdleTimeoutRange{"desk.idle_timeout_seconds", 1, 3'600};
inline constexpr ConfigRange kDeskMaxHeaderBytesRange{"desk.max_header_bytes", 1'024, std::uint64_t{1} << 20};
inline constexpr ConfigRange kDeskMaxBodyBytesRange{"desk.max_body_bytes", 1'024, std::uint64_t{1} << 20};

// The desk's HTTP limits and TLS (docs/configuration.md, `desk`); `run` and
// `demo` take the same as --desk-* flags.
struct DeskConfig {
  std::size_t max_connections = 256;   // feeds included; one more is closed unanswered
  unsigned idle_timeout_seconds = 30;  // to send a request or take a response; a feed that reads stays open
  std::size_t max_header_bytes = std::size_t{8} * 1024;  // more: 431
  std::size_t max_body_bytes = std::size_t{16} * 1024;   // more: 413
  std::string tls_cert{};  // PEM certificate (chain); with tls_key the desk speaks HTTPS only
  std::string tls_key{};   // its PEM private key, not encrypted; both or neither
};

struct RunConfig {
  std::string brokers;  // bootstrap.servers; required (file or --brokers)
  std::string input_topic = "wachtpost.posts";
  std::string alert_topic = "wachtpost.alerts";
  std::string dlq_topic = "wachtpost.posts.dlq";
  std::string shadow_topic = "wachtpost.alerts.shadow";  // a proposed set's alerts; never the desk; empty: none
  std::string group = "wachtpost";                       // consumer group id
  std::string transactional_id = "wachtpost";            // prefix; the runtime appends an instance suffix
  std::string patterns_dir;                              // empty: pattern set embedded in the binary
  std::string protected_file;                            // empty: no named persons
  unsigned workers = 0;                                  // 0: one per core
  std::size_t batch_max_messages = 2000;                 // posts per transaction at most
  unsigned batch_max_ms = 200;                           // how long a batch may collect at most
  unsigned batch_linger_ms = 2;                          // how long it waits for more once none are queued
  std::size_t queue_max_messages = 100000;               // bound of the worker queue (backpressure)
  std::size_t max_post_bytes = 1 << 20;
  unsigned shutdown_timeout_ms = 15000;
  bool exit_at_eof = false;
  std::string pseudonym_key_file;
  unsigned pseudonym_rotation_hours = 24;
  ReloadConfig reload;
  DeskConfig desk;
  KafkaProperties kafka;     // librdkafka properties for every client (security.protocol, sasl.*, ssl.*, ...)
  KafkaProperties consumer;  // consumer only
  KafkaProperties producer;  // producer only
  // The file load_run_config read; empty for a configuration built in code.
  // validate_run_config names it for a required setting nothing gave.
  std::string source_file;
};

// A configuration wachtpost refuses to start with. Every problem found is
// listed, one per line; problems found in a file start with "FILE:LINE: ".
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reads a YAML file. Unknown keys, wrong types, out-of-range values: ConfigError
// whose message starts "FILE:LINE: ". Relative paths (patterns, protected,
// pseudonym.key_file, reload.audit_log, reload.corpus, desk.tls_cert,
// desk.tls_key) resolve against the file's folder; every reload.corpus file
// must exist already. The passthrough properties are checked against
// librdkafka here already, so their errors carry a line too; brokers may still
// be empty (a --brokers flag can supply them), and so may one of
// desk.tls_cert and desk.tls_key, so call validate_run_config once flags have
// been applied.
RunConfig load_run_config(const std::string& path);

// Properties wachtpost sets itself (group.id, transactional.id, enable.auto.commit,
// enable.auto.offset.store, isolation.level, partition.assignment.strategy,
// bootstrap.servers, enable.idempotence, acks, enable.partition.eof,
// auto.offset.reset, queued.min.messages and their aliases): returns true.
// Exact, case-sensitive names, as librdkafka takes them.
bool is_managed_kafka_property(std::string_view key);

// Checks every passthrough property against librdkafka itself (rd_kafka_conf_set
// on a scratch rd_kafka_conf_t of the right kind: kafka+consumer for the
// consumer, kafka+producer for the producer), against librdkafka's own property
// table (a consumer-only property in `producer` or `kafka` would be ignored with
// a mere log line, so it is refused; integers must be plain decimal, since
// librdkafka reads "1e3" as 1), and that no managed property is set. Also checks
// brokers non-empty, topics distinct, non-empty and legal Kafka names (the
// shadow topic may be empty: none), the ranges of the numeric settings, and
// that desk.tls_cert and desk.tls_key come together.
// Throws ConfigError naming the section, key and librdkafka's own message
// ("No such configuration property", "Invalid value ..."). Values of secret
// keys (password, secret, sasl.oauthbearer.config, ssl.key*) never appear in
// messages.
void validate_run_config(const RunConfig& config);

// The `desk` checks of validate_run_config on their own (for `demo`, which
// has no file): the ranges, and tls_cert and tls_key both or neither. The
// files themselves are read when the desk starts.
void validate_desk_config(const DeskConfig& desk);

}  // namespace wachtpost
