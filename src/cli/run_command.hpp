#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "runtime/run_config.hpp"

namespace wachtpost {

// The --desk-* flags: over the run config's `desk` section (`demo`: over
// DeskConfig's defaults).
struct DeskFlags {
  std::optional<std::size_t> max_connections;
  std::optional<unsigned> idle_timeout_seconds;
  std::optional<std::size_t> max_header_bytes;
  std::optional<std::size_t> max_body_bytes;
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;

  void apply_to(DeskConfig& desk) const;
};

// The desk and the dashboards, for `run` and `demo`. Both listen on loopback
// unless an address says otherwise.
struct ServeOptions {
  std::string http_addr = "127.0.0.1:8080";     // empty: no desk
  std::string metrics_addr = "127.0.0.1:9464";  // empty: no metrics
  std::string tokens_file{};                    // empty: the feed refuses everyone
  DeskFlags desk{};
};

// `wachtpost run`: the config file, then these flags on top of it.
struct RunOptions {
  std::string config_file;  // empty: defaults and flags only
  std::optional<std::string> brokers;
  std::optional<std::string> input_topic;
  std::optional<std::string> alert_topic;
  std::optional<std::string> dlq_topic;
  std::optional<std::string> group;
  std::optional<std::string> patterns_dir;
  std::optional<std::string> protected_file;
  // Flags over the config file's `reload` section.
  std::optional<std::string> reload_policy;  // four-eyes | single-operator
  std::optional<std::string> audit_log;      // proposals, approvals, activations, refusals: JSON lines
  std::optional<unsigned> watch_seconds;     // poll the pattern files; 0: no watch
  std::vector<std::string> gate_corpus;      // labelled NDJSON a set must pass (adds to the file's)
  std::string instance;                      // empty: $WACHTPOST_INSTANCE, else the host name
  bool exit_at_eof = false;
  ServeOptions serve;
};

int run_stream(const RunOptions& options, std::ostream& out, std::ostream& err);

// "patterns/ with protected.yaml", for the reload log and status.
std::string describe_source(const std::string& patterns_dir, const std::string& protected_file);

// `wachtpost demo`: an in-process mock cluster, a feeder and the processor.
struct DemoOptions {
  std::string patterns_dir;    // empty: the embedded set
  std::string protected_file;  // empty: the demo's own registry
  // The demo starts under the single-operator policy: SIGHUP (or POST
  // /admin/reload) activates a set that passes the gate.
  std::string reload_policy = "single-operator";
  std::string audit_log;
  unsigned watch_seconds = 0;
  unsigned rate = 20;    // posts per second
  unsigned loops = 0;    // passes over the sample stream; 0: until stopped
  unsigned workers = 0;  // 0: one per core
  ServeOptions serve;
};

int run_demo(const DemoOptions& options, std::ostream& out, std::ostream& err);

// Blocks SIGINT and SIGTERM in the calling thread (and the threads it starts
// later) and calls `on_signal` from a watcher thread when one arrives. If the
// owner has not finished `shutdown_timeout_ms` after the signal, the process
// exits with kExitIo: shutdown is bounded even when a broker never answers.
class StopSignals {
 public:
  // SIGHUP, when `on_reload` is given, calls it instead (a pattern reload).
  StopSignals(std::function<void()> on_signal, unsigned shutdown_timeout_ms, std::function<void()> on_reload = {});
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  std::function<void()> on_signal_;
  unsigned shutdown_timeout_ms_;
  std::function<void()> on_reload_;
  std::atomic<bool> done_{false};
  std::thread watcher_;
};

}  // namespace wachtpost
