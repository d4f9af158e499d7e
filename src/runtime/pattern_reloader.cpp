#include "runtime/pattern_reloader.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>

#include "alert/json_writer.hpp"
#include "cli/pattern_source.hpp"
#include "ingest/rfc3339.hpp"
#include "runtime/example_check.hpp"

namespace wachtpost {

PatternReloader::PatternReloader(ReloadOptions options, std::string current,
                                 std::function<void(std::shared_ptr<const PatternSet>)> activate)
    : options_(std::move(options)), current_(std::move(current)), activate_(std::move(activate)) {
  spdlog::info("reload policy: single operator (SIGHUP activates a set that compiles and passes its examples){}",
               options_.audit_log.empty() ? std::string() : "; audit log " + options_.audit_log.string());
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return stop_ || !pending_.empty(); });
      if (stop_) return;
      const std::string who = std::exchange(pending_, std::string());
      lock.unlock();
      reload(who);
      lock.lock();
    }
  });
}

PatternReloader::~PatternReloader() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void PatternReloader::request(std::string operator_name) {
  {
    const std::lock_guard lock(mutex_);
    pending_ = std::move(operator_name);
  }
  wake_.notify_one();
}

void PatternReloader::reload(const std::string& operator_name) {
  spdlog::info("reload requested by {}: building {}", operator_name,
               options_.patterns_dir.empty() ? std::string("the embedded set") : options_.patterns_dir);
  const auto started = std::chrono::steady_clock::now();
  std::shared_ptr<const PatternSet> set;
  try {
    set = load_pattern_set({options_.patterns_dir, options_.protected_file});
  } catch (const PatternSetError& e) {
    spdlog::error("reload refused, the running set {} stays: {} problem(s), first: {}", current_, e.problems().size(),
                  e.problems().empty() ? std::string() : e.problems().front());
    audit(operator_name, "", "refused", e.problems());
    return;
  } catch (const std::exception& e) {
    spdlog::error("reload refused, the running set {} stays: {}", current_, e.what());
    audit(operator_name, "", "refused", {e.what()});
    return;
  }
  const ExampleCheck check = check_examples(set);
  if (!check.failures.empty()) {
    spdlog::error("reload refused, the running set {} stays: {} example(s) failed, first: {}", current_,
                  check.failures.size(), check.failures.front());
    audit(operator_name, std::string(set->hash()), "refused", check.failures);
    return;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  activate_(set);
  spdlog::info("reload: {} is live (was {}); built and checked in {:.2f} s", set->hash(), current_, seconds);
  audit(operator_name, std::string(set->hash()), "activated", {});
  current_ = std::string(set->hash());
}

void PatternReloader::audit(const std::string& operator_name, const std::string& new_hash, const std::string& result,
                            const std::vector<std::string>& reasons) {
  const auto now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  std::string line;
  JsonWriter w(line);
  w.begin_object().field("time", format_rfc3339_ms(now)).field("event", "reload").field("operator", operator_name);
  w.field("old_hash", current_).field("new_hash", new_hash).field("result", result);
  w.key("reasons").begin_array();
  for (const auto& reason : reasons) w.string(reason);
  w.end_array().end_object();
  if (options_.audit_log.empty()) {
    spdlog::info("audit: {}", line);
    return;
  }
  // Append-only: opened for each line, so rotating the file loses nothing.
  std::ofstream out(options_.audit_log, std::ios::app);
  out << line << '\n';
  if (!out) spdlog::error("audit log {}: cannot write", options_.audit_log.string());
}

}  // namespace wachtpost
