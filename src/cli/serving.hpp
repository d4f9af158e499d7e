#pragma once
// What `run` and `demo` serve beside the stream: Prometheus metrics on
// --metrics-addr and the desk on --http-addr (tokens from --tokens; limits
// and TLS from the run config's `desk` and the --desk-* flags).

#include <atomic>
#include <memory>
#include <string>

#include "cli/pattern_source.hpp"
#include "cli/run_command.hpp"
#include "http/alert_feed.hpp"
#include "http/desk_server.hpp"
#include "match/pattern_set.hpp"
#include "metrics/pipeline_metrics.hpp"
#include "runtime/alert_topic_reader.hpp"
#include "runtime/pattern_reloader.hpp"
#include "runtime/run_config.hpp"
#include "runtime/stream_processor.hpp"

namespace prometheus {
class Exposer;
}

namespace wachtpost {

// Reloads that rebuild the set from `location` under `gate`, watching its
// folder and registry when the gate asks for a watch.
ReloadOptions reload_options(const PatternSetLocation& location, ReloadConfig gate);

class Serving {
 public:
  // Binds both addresses at once; throws std::runtime_error naming the flag
  // and address (or the tokens file and line, or the certificate or key file)
  // when it cannot. Warns when the desk listens beyond loopback without TLS.
  Serving(const ServeOptions& options, const DeskConfig& desk, const PatternSet& set);
  ~Serving();
  Serving(const Serving&) = delete;
  Serving& operator=(const Serving&) = delete;

  [[nodiscard]] const std::shared_ptr<PipelineMetrics>& metrics() const { return metrics_; }
  // A new pattern set is live: its hash, rules and languages for the metrics.
  void activate(const PatternSet& set);
  // The desk shows what the alert topic holds: every instance's alerts.
  void follow_alert_topic(const RunConfig& config);
  void set_ready(bool ready) { ready_->store(ready); }
  // Pattern-set reloads of `processor` (SIGHUP, the admin routes, the file
  // watch) under `options.gate`'s policy. The reloader answers the desk's
  // admin routes until stop_reloads(), which must come before the processor goes.
  PatternReloader& start_reloads(ReloadOptions options, std::shared_ptr<const PatternSet> live,
                                 StreamProcessor& processor);
  void stop_reloads();

 private:
  std::shared_ptr<PipelineMetrics> metrics_;
  std::shared_ptr<AlertFeed> feed_;
  std::shared_ptr<std::atomic<bool>> ready_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::unique_ptr<DeskServer> desk_;
  std::unique_ptr<AlertTopicReader> reader_;
  std::shared_ptr<PatternReloader> reloader_;
};

// Stops the reloads when it goes: declared after the stream processor, it
// goes before it, so no reload touches a processor that is gone.
class ReloadsStopper {
 public:
  explicit ReloadsStopper(Serving& serving) : serving_(serving) {}
  ReloadsStopper(const ReloadsStopper&) = delete;
  ReloadsStopper& operator=(const ReloadsStopper&) = delete;
  ~ReloadsStopper() { serving_.stop_reloads(); }

 private:
  Serving& serving_;
};

}  // namespace wachtpost
