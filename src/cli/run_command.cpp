#include "cli/run_command.hpp"

#include <signal.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>

#include "cli/cli.hpp"
#include "cli/pattern_source.hpp"
#include "cli/serving.hpp"
#include "runtime/pattern_reloader.hpp"
#include "runtime/run_config.hpp"
#include "runtime/stream_processor.hpp"

namespace wachtpost {

StopSignals::StopSignals(std::function<void()> on_signal, unsigned shutdown_timeout_ms, std::function<void()> on_reload)
    : on_signal_(std::move(on_signal)), shutdown_timeout_ms_(shutdown_timeout_ms), on_reload_(std::move(on_reload)) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  if (on_reload_) sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  watcher_ = std::thread([this, signals] {
    const timespec tick{0, 200'000'000};
    while (!done_.load()) {
      const int signal = sigtimedwait(&signals, nullptr, &tick);
      if (signal < 0) continue;
      if (signal == SIGHUP) {
        on_reload_();
        continue;
      }
      spdlog::info("stop requested: finishing the batch in flight");
      on_signal_();
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(shutdown_timeout_ms_);
      while (!done_.load()) {
        if (std::chrono::steady_clock::now() > deadline) {
          spdlog::error("shutdown took longer than {} ms; exiting without leaving the group cleanly",
                        shutdown_timeout_ms_);
          std::_Exit(kExitIo);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  });
}

StopSignals::~StopSignals() {
  done_.store(true);
  watcher_.join();
}

namespace {

std::string default_instance() {
  if (const char* env = std::getenv("WACHTPOST_INSTANCE"); env != nullptr && *env != '\0') return env;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') return host;
  return "default";
}

}  // namespace

void DeskFlags::apply_to(DeskConfig& desk) const {
  if (max_connections) desk.max_connections = *max_connections;
  if (idle_timeout_seconds) desk.idle_timeout_seconds = *idle_timeout_seconds;
  if (max_header_bytes) desk.max_header_bytes = *max_header_bytes;
  if (max_body_bytes) desk.max_body_bytes = *max_body_bytes;
  if (tls_cert) desk.tls_cert = *tls_cert;
  if (tls_key) desk.tls_key = *tls_key;
}

std::string describe_source(const std::string& patterns_dir, const std::string& protected_file) {
  return (patterns_dir.empty() ? std::string("the embedded set") : patterns_dir) +
         (protected_file.empty() ? std::string() : " with " + protected_file);
}

int run_stream(const RunOptions& options, std::ostream& /*out*/, std::ostream& err) {
  StreamOptions stream;
  try {
    RunConfig config = options.config_file.empty() ? RunConfig{} : load_run_config(options.config_file);
    if (options.brokers) config.brokers = *options.brokers;
    if (options.input_topic) config.input_topic = *options.input_topic;
    if (options.alert_topic) config.alert_topic = *options.alert_topic;
    if (options.dlq_topic) config.dlq_topic = *options.dlq_topic;
    if (options.group) config.group = *options.group;
    if (options.patterns_dir) config.patterns_dir = *options.patterns_dir;
    if (options.protected_file) config.protected_file = *options.protected_file;
    if (options.exit_at_eof) config.exit_at_eof = true;
    if (options.reload_policy) config.reload.policy = *parse_reload_policy(*options.reload_policy);
    if (options.audit_log) config.reload.audit_log = *options.audit_log;
    if (options.watch_seconds) config.reload.watch_seconds = *options.watch_seconds;
    config.reload.corpus.insert(config.reload.corpus.end(), options.gate_corpus.begin(), options.gate_corpus.end());
    options.serve.desk.apply_to(config.desk);
    validate_run_config(config);
    stream.pattern_set = load_pattern_set({config.patterns_dir, config.protected_file, {}});
    stream.pseudonymizer = load_author_pseudonymizer(config.pseudonym_key_file, config.pseudonym_rotation_hours);
    stream.instance = options.instance.empty() ? default_instance() : options.instance;
    stream.config = std::move(config);
  } catch (const std::exception& e) {
    err << "wachtpost run: " << e.what() << '\n';
    return kExitConfigError;
  }
  for (const auto& notice : stream.pattern_set->notices()) spdlog::info("note: {}", notice);
  spdlog::info("{}", describe(*stream.pattern_set));
  // Signals are blocked before any thread starts, so only the watcher sees them.
  std::atomic<StreamProcessor*> running{nullptr};
  std::atomic<PatternReloader*> reloader{nullptr};
  const StopSignals signals(
      [&running] {
        if (StreamProcessor* processor = running.load()) processor->request_stop();
      },
      stream.config.shutdown_timeout_ms,
      [&reloader] {
        if (PatternReloader* r = reloader.load()) r->request("local:SIGHUP", true);
      });
  // After the signals are blocked: the metrics and desk threads must not take SIGTERM.
  std::unique_ptr<Serving> serving;
  try {
    serving = std::make_unique<Serving>(options.serve, stream.config.desk, *stream.pattern_set);
  } catch (const std::exception& e) {
    err << "wachtpost run: " << e.what() << '\n';
    return kExitConfigError;
  }
  stream.metrics = serving->metrics();
  stream.on_assignment = [&serving](bool assigned) { serving->set_ready(assigned); };
  try {
    serving->follow_alert_topic(stream.config);
  } catch (const std::exception& e) {
    err << "wachtpost run: " << e.what() << '\n';
    return kExitIo;
  }

  ReloadOptions reload =
      reload_options({stream.config.patterns_dir, stream.config.protected_file, {}}, stream.config.reload);
  std::shared_ptr<const PatternSet> live = stream.pattern_set;
  StreamProcessor processor(std::move(stream));
  const ReloadsStopper stopper(*serving);
  reloader.store(&serving->start_reloads(std::move(reload), std::move(live), processor));
  running.store(&processor);
  try {
    processor.run();
  } catch (const std::exception& e) {
    err << "wachtpost run: " << e.what() << '\n';
    return kExitIo;
  }
  return kExitOk;
}

}  // namespace wachtpost
