#include "cli/serving.hpp"

#include <prometheus/exposer.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <set>
#include <stdexcept>

namespace wachtpost {

Serving::Serving(const ServeOptions& options, const PatternSet& set)
    : metrics_(std::make_shared<PipelineMetrics>()),
      feed_(std::make_shared<AlertFeed>()),
      ready_(std::make_shared<std::atomic<bool>>(false)) {
  activate(set);

  if (!options.metrics_addr.empty()) {
    // Checked here: civetweb would take "garbage" for a port and fail later.
    const auto [host, port] = split_host_port(options.metrics_addr);
    try {
      exposer_ = std::make_unique<prometheus::Exposer>(options.metrics_addr);
    } catch (const std::exception& e) {
      throw std::runtime_error("--metrics-addr " + options.metrics_addr + ": " + e.what());
    }
    exposer_->RegisterCollectable(metrics_->registry());
    const auto ports = exposer_->GetListeningPorts();
    spdlog::info("metrics at http://{}:{}/metrics", host, ports.empty() ? port : ports.front());
  }
  if (!options.http_addr.empty()) {
    auto tokens = std::make_shared<BearerTokens>();
    if (options.tokens_file.empty()) {
      spdlog::warn("no --tokens: the desk's feed refuses everyone");
    } else {
      *tokens = BearerTokens::load(options.tokens_file);
      spdlog::info("desk tokens: {} names from {}", tokens->size(), options.tokens_file);
    }
    auto ready = ready_;
    desk_ = std::make_unique<DeskServer>(DeskServerOptions{.address = options.http_addr}, feed_, std::move(tokens),
                                         metrics_, [ready] { return ready->load(); });
    const auto [host, port] = split_host_port(options.http_addr);
    spdlog::info("desk at http://{}:{}/", host, desk_->port());
  }
}

void Serving::activate(const PatternSet& set) {
  std::vector<std::string> rules;
  std::set<std::string> langs;
  for (const auto& rule : set.rules()) {
    rules.push_back(rule.id);
    if (!rule.lang.empty()) langs.insert(rule.lang);
  }
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  metrics_->set_pattern_set(set.hash(), rules, {langs.begin(), langs.end()}, now);
}

void Serving::follow_alert_topic(const RunConfig& config) {
  if (desk_) reader_ = std::make_unique<AlertTopicReader>(config, feed_);
}

ReloadOptions reload_options(const PatternSetLocation& location, ReloadConfig gate) {
  ReloadOptions options{.gate = std::move(gate),
                        .build = [location] { return load_pattern_set(location); },
                        .source = describe_source(location.patterns_dir, location.protected_file),
                        .watched = {}};
  for (const auto& path : {location.patterns_dir, location.protected_file}) {
    if (!path.empty()) options.watched.emplace_back(path);
  }
  return options;
}

PatternReloader& Serving::start_reloads(ReloadOptions options, std::shared_ptr<const PatternSet> live,
                                        StreamProcessor& processor) {
  ReloadHooks hooks{
      .activate =
          [this, &processor](std::shared_ptr<const PatternSet> set) {
            activate(*set);
            processor.swap_pattern_set(std::move(set));
          },
      .shadow =
          [&processor](std::shared_ptr<const PatternSet> set) { processor.set_shadow_pattern_set(std::move(set)); },
      .compare = [&processor] { return processor.shadow_comparison(); },
      .metrics = metrics_};
  reloader_ = std::make_shared<PatternReloader>(std::move(options), std::move(live), std::move(hooks));
  if (desk_) desk_->set_admin(reloader_);
  return *reloader_;
}

void Serving::stop_reloads() {
  if (!reloader_) return;
  if (desk_) desk_->set_admin(nullptr);
  reloader_->shut_down();
}

Serving::~Serving() {
  stop_reloads();
  reader_.reset();  // before the feed and the server it feeds
  desk_.reset();
}

}  // namespace wachtpost
