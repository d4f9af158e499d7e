#pragma once
// What `run` and `demo` serve beside the stream: Prometheus metrics on
// --metrics-addr and the desk on --http-addr (tokens from --tokens).

#include <atomic>
#include <memory>
#include <string>

#include "cli/run_command.hpp"
#include "http/alert_feed.hpp"
#include "http/desk_server.hpp"
#include "match/pattern_set.hpp"
#include "metrics/pipeline_metrics.hpp"

namespace prometheus {
class Exposer;
}

namespace wachtpost {

class Serving {
 public:
  // Binds both addresses at once; throws std::runtime_error naming the flag
  // and address (or the tokens file and line) when it cannot.
  Serving(const ServeOptions& options, const PatternSet& set);
  ~Serving();
  Serving(const Serving&) = delete;
  Serving& operator=(const Serving&) = delete;

  [[nodiscard]] const std::shared_ptr<PipelineMetrics>& metrics() const { return metrics_; }
  // Hands a committed alert to the desk.
  void publish(std::string_view alert_json, std::string_view alert_id, std::string_view rule) {
    feed_->publish_alert(alert_id, rule, alert_json);
  }
  void set_ready(bool ready) { ready_->store(ready); }

 private:
  std::shared_ptr<PipelineMetrics> metrics_;
  std::shared_ptr<AlertFeed> feed_;
  std::shared_ptr<std::atomic<bool>> ready_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::unique_ptr<DeskServer> desk_;
};

}  // namespace wachtpost
