#include "cli/serving.hpp"

#include <prometheus/exposer.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <set>
#include <stdexcept>

namespace wachtpost {

Serving::Serving(const ServeOptions& options, const DeskConfig& desk, const PatternSet& set)
    : metrics_(std::make_shared<PipelineMetrics>()),
      feed_(std::make_shared<AlertFeed>()),
      ready_(std::make_shared<std::atomic<bool>>(false)) {
  activate(set);

  if (!options.metrics_addr.empty()) {
    // Checked here: civetweb would take "garbage" for a port and fail later.
    const auto [host, port] = split_host_port(options.metrics_addr);
    try {
      // civetweb's options, its bounds spelled out: two threads, 16 KB of
      // request, 10 s to send it.
      exposer_ = std::make_unique<prometheus::Exposer>(
          std::vector<std::string>{"listening_ports", options.metrics_addr, "num_threads", "2", "max_request_size",
                                   "16384", "request_timeout_ms", "10000"});
    } catch (const std::exception& e) {
      throw std::runtime_error("--metrics-addr " + options.metrics_addr + ": " + e.what());
    }
    exposer_->RegisterCollectable(metrics_->registry());
    const auto ports = exposer_->GetListeningPorts();
    spdlog::info("metrics at http://{}:{}/metrics", host, ports.empty() ? port : ports.front());
    if (!is_loopback_host(host)) {
      spdlog::info("metrics listen beyond loopback ({}): anyone who reaches that address reads them", host);
    }
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
    desk_ =
        std::make_unique<DeskServer>(DeskServerOptions{.address = options.http_addr,
                                                       .max_connections = desk.max_connections,
                                                       .idle_timeout = std::chrono::seconds(desk.idle_timeout_seconds),
                                                       .max_header_bytes = desk.max_header_bytes,
                                                       .max_body_bytes = desk.max_body_bytes,
                                                       .tls_cert_file = desk.tls_cert,
                                                       .tls_key_file = desk.tls_key},
                                     feed_, std::move(tokens), metrics_, [ready] { return ready->load(); });
    const auto [host, port] = split_host_port(options.http_addr);
    const bool tls = desk_->tls();
    spdlog::info("desk at {}://{}:{}/ ({} connections, {} s idle, {} B of headers and {} B of body at most)",
                 tls ? "https" : "http", host.find(':') == std::string::npos ? host : "[" + host + "]", desk_->port(),
                 desk.max_connections, desk.idle_timeout_seconds, desk.max_header_bytes, desk.max_body_bytes);
    if (!tls && !is_loopback_host(host)) {
      spdlog::warn(
          "the desk listens beyond loopback ({}) without TLS: tokens and alerts cross the network in clear text; "
          "give --desk-tls-cert and --desk-tls-key (or put a TLS proxy in front)",
          host);
    }
  } else if (!desk.tls_cert.empty()) {
    spdlog::warn("no desk (--http-addr is empty): its TLS certificate and key are not used");
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
