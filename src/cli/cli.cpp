#include "cli/cli.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/mock_cluster_command.hpp"
#include "cli/patterns_command.hpp"
#include "cli/replay_command.hpp"
#include "cli/run_command.hpp"
#include "cli/scan_command.hpp"
#include "cli/topics_command.hpp"
#include "runtime/run_config.hpp"

namespace wachtpost {

namespace {

void add_pattern_flags(CLI::App& command, PatternSetLocation& location) {
  command
      .add_option("--patterns", location.patterns_dir,
                  "Folder of rule files (*.yaml); default: the set embedded in this binary")
      ->check(CLI::ExistingDirectory);
  command.add_option("--protected", location.protected_file, "Protected-person registry (YAML)")
      ->check(CLI::ExistingFile);
}

CLI::Range range_of(const ConfigRange& range) {
  return CLI::Range(range.min, range.max);
}

// `from` names where a flag's default comes from: the run config for `run`.
void add_serve_flags(CLI::App& command, ServeOptions& serve, const std::string& from) {
  command
      .add_option("--http-addr", serve.http_addr,
                  "Desk, alert feed (SSE), admin routes and probes, host:port; empty: none (loopback unless told "
                  "otherwise: 0.0.0.0 or [::] for every interface)")
      ->capture_default_str();
  command
      .add_option("--metrics-addr", serve.metrics_addr,
                  "Prometheus /metrics, host:port; empty: none (loopback unless told otherwise)")
      ->capture_default_str();
  command.add_option("--tokens", serve.tokens_file, "Desk tokens, lines name:token (the feed needs one)")
      ->check(CLI::ExistingFile);
  const DeskConfig defaults;
  DeskFlags& desk = serve.desk;
  command
      .add_option("--desk-max-connections", desk.max_connections,
                  "Open desk connections at most, feeds included; one more is closed unanswered (default: " + from +
                      std::to_string(defaults.max_connections) + ")")
      ->check(range_of(kDeskMaxConnectionsRange));
  command
      .add_option("--desk-idle-timeout", desk.idle_timeout_seconds,
                  "Seconds a desk connection has to send a request (or a TLS handshake) and to take an answer; a "
                  "feed that reads stays open (default: " +
                      from + std::to_string(defaults.idle_timeout_seconds) + ")")
      ->check(range_of(kDeskIdleTimeoutRange));
  command
      .add_option("--desk-max-header-bytes", desk.max_header_bytes,
                  "Request line and headers at most; more is answered 431 (default: " + from +
                      std::to_string(defaults.max_header_bytes) + ")")
      ->check(range_of(kDeskMaxHeaderBytesRange));
  command
      .add_option("--desk-max-body-bytes", desk.max_body_bytes,
                  "Request body at most; more is answered 413 (default: " + from +
                      std::to_string(defaults.max_body_bytes) + ")")
      ->check(range_of(kDeskMaxBodyBytesRange));
  command.add_option("--desk-tls-cert", desk.tls_cert,
                     "PEM certificate (chain) of the desk; with --desk-tls-key the desk speaks HTTPS only (TLS 1.2+)");
  command.add_option("--desk-tls-key", desk.tls_key,
                     "Unencrypted PEM private key of --desk-tls-cert (keep it readable by wachtpost only)");
}

constexpr const char* kReloadPolicyHelp =
    "Who makes a pattern set live: four-eyes (a second operator approves a proposed hash) or single-operator";
constexpr const char* kAuditLogHelp =
    "Append-only JSON lines of pattern-set proposals, approvals, activations and refusals";
constexpr const char* kWatchHelp = "Poll the pattern files every N seconds and reload on a change (0: no watch)";

CLI::Validator reload_policy_validator() {
  return CLI::Validator(
      [](std::string& text) {
        return parse_reload_policy(text) ? std::string() : std::string("expected four-eyes or single-operator");
      },
      "POLICY");
}

void add_reload_flags(CLI::App& command, std::optional<std::string>& policy, std::optional<std::string>& audit_log,
                      std::optional<unsigned>& watch_seconds) {
  command.add_option("--reload-policy", policy, std::string(kReloadPolicyHelp) + " (default: four-eyes)")
      ->check(reload_policy_validator());
  command.add_option("--audit-log", audit_log, kAuditLogHelp);
  command.add_option("--watch-patterns", watch_seconds, kWatchHelp)->check(CLI::Range(0U, 86400U));
}

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"wachtpost: finds threats against protected persons in public posts"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "wachtpost 0.1.0");

  ScanOptions scan;
  auto* scan_command = app.add_subcommand("scan", "Scan newline-delimited JSON posts, print alerts as JSON lines");
  add_pattern_flags(*scan_command, scan.patterns);
  scan_command->add_option("input", scan.input, "Posts file (NDJSON), or - for standard input")->capture_default_str();
  scan_command->add_option("--max-post-bytes", scan.max_post_bytes, "Longest accepted post line, in bytes")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{64}, std::size_t{64} << 20));
  scan_command
      ->add_option("--pseudonym-key-file", scan.pseudonym_key_file,
                   "Secret key for author pseudonyms (else $WACHTPOST_PSEUDONYM_KEY; none: no author_ref)")
      ->check(CLI::ExistingFile);
  scan_command
      ->add_option("--pseudonym-rotation-hours", scan.pseudonym_rotation_hours,
                   "How long one author pseudonym stays the same")
      ->capture_default_str()
      ->check(CLI::Range(1U, 24U * 366U));

  PatternSetLocation patterns_location;
  auto* patterns_command = app.add_subcommand("patterns", "Check and test pattern sets");
  patterns_command->require_subcommand(1);
  auto* lint = patterns_command->add_subcommand("lint", "Check rule files: ids, fields, expressions, examples");
  auto* test = patterns_command->add_subcommand("test", "Run every rule's embedded examples");
  auto* explain = patterns_command->add_subcommand(
      "explain", "Show why a text does or does not alert: normalised text, every match, the verdict per rule");
  std::string explain_text;
  std::string explain_lang;
  explain->add_option("text", explain_text, "The post text")->required();
  explain->add_option("--lang", explain_lang, "The post's language (nl, en); decides between rules on the same words");
  explain->add_option("--patterns", patterns_location.patterns_dir, "Folder of rule files; default: the embedded set")
      ->check(CLI::ExistingDirectory);
  explain->add_option("--protected", patterns_location.protected_file, "Protected-person registry (YAML)")
      ->check(CLI::ExistingFile);
  LearnOptions learn;
  auto* learn_command = patterns_command->add_subcommand(
      "learn", "Learn the weights of a language's learned rule from labelled posts; writes its rule file");
  learn_command->add_option("--lang", learn.lang, "Language of the rule (nl, en); other posts are skipped")->required();
  learn_command->add_option("--out", learn.out, "The learned rule file, e.g. patterns/nl/learned.yaml")->required();
  learn_command
      ->add_option("--false-alerts", learn.false_alert_budget,
                   "Highest false-alert rate on left-out files the threshold may give")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.5));
  learn_command
      ->add_option("--patterns", learn.patterns.patterns_dir,
                   "Folder of rule files whose targets decide which posts count; default: the embedded set")
      ->check(CLI::ExistingDirectory);
  learn_command->add_option("--protected", learn.patterns.protected_file, "Protected-person registry (YAML)")
      ->check(CLI::ExistingFile);
  learn_command->add_option("corpus", learn.corpus, "Labelled NDJSON files (tests/data/labelled/README.md)")
      ->required()
      ->check(CLI::ExistingFile);
  PatternsTestOptions patterns_test;
  test->add_option("--corpus", patterns_test.corpus,
                   "Labelled posts (NDJSON) the set must pass, as the reload gate does; repeatable")
      ->check(CLI::ExistingFile);
  test->add_option("--min-recall", patterns_test.min_recall, "Lowest recall on --corpus that passes")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  test->add_option("--max-false-alerts", patterns_test.max_false_alerts,
                   "Highest share of harmless --corpus posts that may alert")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  for (auto* command : {lint, test}) {
    command->add_option("dir", patterns_location.patterns_dir, "Folder of rule files; default: the embedded set")
        ->check(CLI::ExistingDirectory);
    command->add_option("--protected", patterns_location.protected_file, "Protected-person registry (YAML)")
        ->check(CLI::ExistingFile);
  }

  ReplayOptions replay;
  auto* replay_command = app.add_subcommand(
      "replay", "Run a candidate pattern set beside a baseline over posts; print added, lost and changed alerts");
  replay_command->add_option("--patterns", replay.candidate.patterns_dir, "The candidate set's folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  replay_command->add_option("--baseline", replay.baseline_dir, "The baseline set's folder; default: the embedded set")
      ->check(CLI::ExistingDirectory);
  replay_command
      ->add_option("--protected", replay.candidate.protected_file, "Protected-person registry (YAML), both sets")
      ->check(CLI::ExistingFile);
  auto* replay_input =
      replay_command->add_option("input", replay.input, "Posts (NDJSON); labelled posts also give precision and recall")
          ->check(CLI::ExistingFile);
  // Or a time range of a topic instead of the file: all four flags together.
  const CLI::Validator replay_time(
      [](std::string& text) {
        return parse_replay_time(text) ? std::string() : std::string("expected RFC 3339 or epoch milliseconds");
      },
      "TIME");
  std::vector<CLI::Option*> replay_range{
      replay_command->add_option("--brokers", replay.brokers, "Bootstrap servers (host:port,...) of the topic"),
      replay_command->add_option("--topic", replay.topic, "Topic of posts to replay instead of FILE"),
      replay_command->add_option("--from", replay.from, "First message time, inclusive (RFC 3339 or epoch ms)")
          ->check(replay_time),
      replay_command->add_option("--to", replay.to, "Message time the replay stops at, exclusive")->check(replay_time)};
  for (auto* option : replay_range) {
    option->excludes(replay_input);
    for (auto* other : replay_range) option->needs(other);
  }
  replay_command->add_flag("--json", replay.json, "One JSON object instead of text");

  RunOptions run;
  auto* run_command =
      app.add_subcommand("run", "Consume posts from Kafka, write alerts and dead letters (exactly once)");
  run_command->add_option("--config", run.config_file, "Config file (YAML, see docs/configuration.md)")
      ->check(CLI::ExistingFile);
  run_command->add_option("--brokers", run.brokers, "Bootstrap servers (host:port,...)");
  run_command->add_option("--input-topic", run.input_topic, "Topic of posts");
  run_command->add_option("--alert-topic", run.alert_topic, "Topic alerts are written to");
  run_command->add_option("--dlq-topic", run.dlq_topic, "Topic rejected messages are written to");
  run_command->add_option("--group", run.group, "Consumer group id");
  run_command->add_option("--patterns", run.patterns_dir, "Folder of rule files; default: the embedded set")
      ->check(CLI::ExistingDirectory);
  run_command->add_option("--protected", run.protected_file, "Protected-person registry (YAML)")
      ->check(CLI::ExistingFile);
  run_command->add_option("--instance", run.instance,
                          "Stable name of this instance, part of its transactional id "
                          "(default: $WACHTPOST_INSTANCE, else the host name)");
  run_command->add_flag("--exit-at-eof", run.exit_at_eof,
                        "Stop cleanly once every assigned partition is at its end (tests, benchmarks)");
  add_serve_flags(*run_command, run.serve, "the config file's desk section, else ");
  add_reload_flags(*run_command, run.reload_policy, run.audit_log, run.watch_seconds);
  run_command
      ->add_option("--gate-corpus", run.gate_corpus,
                   "Labelled posts (NDJSON) a new pattern set must pass before it may go live; repeatable")
      ->check(CLI::ExistingFile);

  DemoOptions demo;
  auto* demo_command = app.add_subcommand(
      "demo", "Run everything in-process: mock Kafka cluster, sample feed, processor; prints alerts live");
  demo_command->add_option("--rate", demo.rate, "Posts per second fed into the cluster")
      ->capture_default_str()
      ->check(CLI::Range(1U, 1000000U));
  demo_command->add_option("--loops", demo.loops, "Passes over the sample stream (0: until Ctrl-C)")
      ->capture_default_str();
  demo_command->add_option("--workers", demo.workers, "Worker threads (0: one per core)")->capture_default_str();
  demo_command
      ->add_option("--patterns", demo.patterns_dir,
                   "Folder of rule files; default: the embedded set (SIGHUP reloads it from here)")
      ->check(CLI::ExistingDirectory);
  demo_command->add_option("--protected", demo.protected_file, "Protected-person registry; default: the demo's own")
      ->check(CLI::ExistingFile);
  demo_command->add_option("--reload-policy", demo.reload_policy, kReloadPolicyHelp)
      ->capture_default_str()
      ->check(reload_policy_validator());
  demo_command->add_option("--audit-log", demo.audit_log, kAuditLogHelp);
  demo_command->add_option("--watch-patterns", demo.watch_seconds, kWatchHelp)
      ->capture_default_str()
      ->check(CLI::Range(0U, 86400U));
  add_serve_flags(*demo_command, demo.serve, "");

  TopicsApplyOptions topics_apply;
  auto* topics_command = app.add_subcommand("topics", "Kafka topics of topics/topics.yaml on a real cluster");
  topics_command->require_subcommand(1);
  auto* topics_apply_command = topics_command->add_subcommand(
      "apply", "Create missing topics, check existing ones (partitions, replication, config); never alters a topic");
  topics_apply_command->add_option("--brokers", topics_apply.brokers, "Bootstrap servers (host:port,...)")->required();
  topics_apply_command
      ->add_option("--definitions", topics_apply.definitions_file,
                   "Topic definitions (YAML); default: topics/topics.yaml as embedded in this binary")
      ->check(CLI::ExistingFile);
  topics_apply_command->add_flag("--dry-run", topics_apply.dry_run, "Print the plan, change nothing");
  topics_apply_command->add_option("--timeout-ms", topics_apply.timeout_ms, "Timeout of each cluster request")
      ->capture_default_str()
      ->check(CLI::Range(100, 3600000));
  topics_apply_command
      ->add_option_function<std::vector<std::string>>(
          "-X,--property",
          [&topics_apply](const std::vector<std::string>& items) {
            for (const auto& item : items) topics_apply.properties.push_back(*parse_kafka_property(item));
          },
          "librdkafka client property KEY=VALUE (security.protocol, sasl.*, ssl.*); repeatable")
      ->check(CLI::Validator(
          [](std::string& item) {
            return parse_kafka_property(item) ? std::string() : std::string("expected KEY=VALUE");
          },
          "KEY=VALUE"));

  MockClusterOptions mock_cluster;
  auto* mock_cluster_command =
      app.add_subcommand("mock-cluster",
                         "Run librdkafka's mock Kafka cluster with the topics created; prints its bootstrap servers "
                         "as the first line, runs until Ctrl-C or SIGTERM");
  mock_cluster_command->add_option("--broker-count", mock_cluster.brokers, "Number of mock brokers")
      ->capture_default_str()
      ->check(CLI::Range(1, 16));
  mock_cluster_command
      ->add_option("--definitions", mock_cluster.definitions_file,
                   "Topic definitions (YAML); default: topics/topics.yaml as embedded in this binary")
      ->check(CLI::ExistingFile);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitConfigError;
  }

  // Logs go to stderr: stdout carries alerts (scan, demo) and nothing else.
  auto logger = spdlog::stderr_color_mt("wachtpost");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(logger);

  if (scan_command->parsed()) return run_scan(scan, std::cout, std::cerr);
  if (run_command->parsed()) return run_stream(run, std::cout, std::cerr);
  if (replay_command->parsed()) return run_replay(replay, std::cout, std::cerr);
  if (demo_command->parsed()) return run_demo(demo, std::cout, std::cerr);
  if (topics_apply_command->parsed()) return run_topics_apply(topics_apply, std::cout, std::cerr);
  if (mock_cluster_command->parsed()) return run_mock_cluster(mock_cluster, std::cout, std::cerr);
  if (lint->parsed()) return run_patterns_lint(patterns_location, std::cout, std::cerr);
  if (test->parsed()) return run_patterns_test(patterns_location, patterns_test, std::cout, std::cerr);
  if (learn_command->parsed()) return run_patterns_learn(learn, std::cout, std::cerr);
  if (explain->parsed()) {
    return run_patterns_explain(patterns_location, explain_text, explain_lang, std::cout, std::cerr);
  }
  return kExitConfigError;
}

}  // namespace wachtpost
