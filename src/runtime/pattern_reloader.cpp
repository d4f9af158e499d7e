#include "runtime/pattern_reloader.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <system_error>

#include "alert/json_writer.hpp"
#include "ingest/rfc3339.hpp"
#include "runtime/example_check.hpp"

namespace wachtpost {

namespace {

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double now_unix_seconds() {
  return static_cast<double>(now_unix_ms()) / 1000.0;
}

std::string reply_json(std::string_view result, std::string_view hash, std::string_view detail) {
  std::string json;
  JsonWriter w(json);
  w.begin_object().field("result", result);
  if (!hash.empty()) w.field("hash", hash);
  if (!detail.empty()) w.field("detail", detail);
  w.end_object();
  return json;
}

std::uint64_t mix(std::uint64_t seed, std::uint64_t value) {
  return (seed ^ value) * 0x100000001b3ULL;
}

std::uint64_t mix(std::uint64_t seed, std::string_view text) {
  for (const char c : text) seed = mix(seed, static_cast<unsigned char>(c));
  return seed;
}

// Name, size and modification time of a file: a change of content almost
// always changes one of them, and polling them costs no reading.
std::uint64_t file_fingerprint(std::uint64_t seed, const std::filesystem::path& path) {
  std::error_code ec;
  seed = mix(seed, path.string());
  const auto size = std::filesystem::file_size(path, ec);
  seed = mix(seed, ec ? ~0ULL : size);
  const auto time = std::filesystem::last_write_time(path, ec);
  return mix(seed, ec ? ~0ULL : static_cast<std::uint64_t>(time.time_since_epoch().count()));
}

}  // namespace

PatternReloader::PatternReloader(ReloadOptions options, std::shared_ptr<const PatternSet> live, ReloadHooks hooks)
    : options_(std::move(options)),
      hooks_(std::move(hooks)),
      live_(std::move(live)),
      live_since_(format_rfc3339_ms(now_unix_ms())) {
  const bool four_eyes = options_.gate.policy == ReloadPolicy::kFourEyes;
  spdlog::info("reload policy: {} ({}); gate: compiles, every rule's examples pass{}; audit log {}",
               reload_policy_name(options_.gate.policy),
               four_eyes ? "a set goes live once an operator other than its proposer approves its hash"
                         : "a set that passes the gate goes live at once",
               options_.gate.corpus.empty()
                   ? std::string()
                   : fmt::format(", and recall >= {:.2f} with false alerts <= {:.2f} on {} labelled file(s)",
                                 options_.gate.min_recall, options_.gate.max_false_alerts, options_.gate.corpus.size()),
               options_.gate.audit_log.empty() ? std::string("none (the log only)") : options_.gate.audit_log);
  if (hooks_.metrics) {
    hooks_.metrics->set_database_bytes(live_->database_bytes());
    hooks_.metrics->set_shadow_active(false);
  }
  const auto watch = std::chrono::seconds(options_.gate.watch_seconds);
  if (watch.count() > 0) {
    watched_fingerprint_ = fingerprint();
    spdlog::info("reload: watching {} every {} s", options_.source, watch.count());
  }
  thread_ = std::thread([this, watch] {
    std::unique_lock lock(mutex_);
    while (true) {
      const auto woken = [this] { return stop_ || requested_.has_value(); };
      if (watch.count() > 0) {
        wake_.wait_for(lock, watch, woken);
      } else {
        wake_.wait(lock, woken);
      }
      if (stop_) return;
      if (!requested_) {
        // The watch: reading sizes and times only, without holding the lock.
        lock.unlock();
        const std::uint64_t now = fingerprint();
        lock.lock();
        if (now == watched_fingerprint_ || stop_) continue;
        requested_ = {"local:file-watch", true};
      }
      const auto [by, activate] = *std::exchange(requested_, std::nullopt);
      building_ = true;
      lock.unlock();
      if (watch.count() > 0) {
        // Files changed by this build's own request must not trigger another.
        const std::uint64_t now = fingerprint();
        const std::lock_guard relock(mutex_);
        watched_fingerprint_ = now;
      }
      build(by, activate);
      lock.lock();
      building_ = false;
    }
  });
}

PatternReloader::~PatternReloader() {
  shut_down();
}

void PatternReloader::shut_down() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t PatternReloader::fingerprint() const {
  std::uint64_t seed = 0xcbf29ce484222325ULL;
  for (const auto& path : options_.watched) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      std::vector<std::filesystem::path> files;
      for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->path().extension() == ".yaml") files.push_back(it->path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& file : files) seed = file_fingerprint(seed, file);
    } else {
      seed = file_fingerprint(seed, path);
    }
  }
  return seed;
}

void PatternReloader::request(std::string by, bool activate) {
  {
    const std::lock_guard lock(mutex_);
    if (stop_) return;
    // Two requests before a build starts make one build; activating wins.
    const bool activate_any = activate || (requested_ && requested_->second);
    requested_ = {std::move(by), activate_any};
  }
  wake_.notify_one();
}

AdminReply PatternReloader::request_build(const std::string& by, bool activate) {
  {
    const std::lock_guard lock(mutex_);
    if (stop_) return {503, reply_json("refused", "", "shutting down")};
  }
  request(by, activate);
  const bool goes_live = activate && options_.gate.policy == ReloadPolicy::kSingleOperator;
  return {202, reply_json("building", "",
                          goes_live ? "the set goes live if it passes the gate; see /admin/status"
                                    : "the set becomes the pending proposal if it passes the gate; see /admin/status")};
}

void PatternReloader::build(const std::string& by, bool activate) {
  const std::string event = activate ? "reload" : "propose";
  spdlog::info("{} requested by {}: building {}", event, by, options_.source);
  const auto started = std::chrono::steady_clock::now();
  std::shared_ptr<const PatternSet> set;
  std::vector<std::string> problems;
  try {
    set = options_.build();
  } catch (const PatternSetError& e) {
    problems = e.problems();
    if (problems.empty()) problems.emplace_back(e.what());
  } catch (const std::exception& e) {
    problems.emplace_back(e.what());
  }
  if (set) {
    ExampleCheck examples = check_examples(set);
    problems = std::move(examples.failures);
    if (!options_.gate.corpus.empty()) {
      CorpusCheck corpus =
          check_corpus(set, options_.gate.corpus, options_.gate.min_recall, options_.gate.max_false_alerts);
      problems.insert(problems.end(), corpus.failures.begin(), corpus.failures.end());
      spdlog::info("{}: labelled corpus recall {:.3f}, false alerts {:.3f}", set->hash(), corpus.recall(),
                   corpus.false_alert_share());
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  const std::lock_guard lock(mutex_);
  if (stop_) return;
  const std::string hash = set ? std::string(set->hash()) : std::string();
  last_build_ = LastBuild{format_rfc3339_ms(now_unix_ms()), problems.empty(), seconds,
                          set ? set->rules().size() : 0,    problems.size(),  set ? set->database_bytes() : 0};
  if (hooks_.metrics) hooks_.metrics->set_last_build(problems.empty(), seconds, problems.size(), now_unix_seconds());
  if (!problems.empty()) {
    spdlog::error("{} refused, the running set {} stays: {} problem(s), first: {}", event, live_->hash(),
                  problems.size(), problems.front());
    decide(event, by, std::string(live_->hash()), hash, "refused", problems);
    return;
  }
  if (set->hash() == live_->hash()) {
    spdlog::info("{}: {} is the live set already", event, hash);
    decide(event, by, hash, hash, "unchanged", {"the live set already has this hash"});
    return;
  }
  if (activate && options_.gate.policy == ReloadPolicy::kSingleOperator) {
    go_live(std::move(set), by, event);
    spdlog::info("reload: {} is live; built and checked in {:.2f} s", hash, seconds);
    return;
  }
  if (pending_ && pending_->set->hash() == set->hash()) {
    decide(event, by, std::string(live_->hash()), hash, "unchanged",
           {"already the pending proposal, proposed by " + pending_->proposed_by});
    return;
  }
  set_pending(Proposal{set, by, format_rfc3339_ms(now_unix_ms())});
  spdlog::info(
      "{} proposed by {} (built and checked in {:.2f} s); it runs in shadow until {}", hash, by, seconds,
      options_.gate.policy == ReloadPolicy::kFourEyes ? "another operator approves it" : "an operator approves it");
  decide(event, by, std::string(live_->hash()), hash, "proposed", {});
}

void PatternReloader::go_live(std::shared_ptr<const PatternSet> set, const std::string& by, const std::string& event) {
  const std::string old_hash(live_->hash());
  const std::string new_hash(set->hash());
  hooks_.activate(set);
  live_ = std::move(set);
  live_since_ = format_rfc3339_ms(now_unix_ms());
  if (hooks_.metrics) hooks_.metrics->set_database_bytes(live_->database_bytes());
  set_pending(std::nullopt);
  decide(event, by, old_hash, new_hash, "activated", {});
}

void PatternReloader::set_pending(std::optional<Proposal> proposal) {
  const bool had = pending_.has_value();
  pending_ = std::move(proposal);
  if (hooks_.shadow && (had || pending_)) hooks_.shadow(pending_ ? pending_->set : nullptr);
  if (hooks_.metrics) hooks_.metrics->set_shadow_active(pending_.has_value());
}

AdminReply PatternReloader::approve(const std::string& by, std::string_view hash) {
  const std::lock_guard lock(mutex_);
  if (stop_) return {503, reply_json("refused", hash, "shutting down")};
  const std::string live_hash(live_->hash());
  auto refuse = [&](unsigned status, const std::string& reason) {
    spdlog::warn("approval by {} of {} refused: {}", by, hash, reason);
    decide("approve", by, live_hash, std::string(hash), "refused", {reason});
    return AdminReply{status, reply_json("refused", hash, reason)};
  };
  if (!pending_) return refuse(409, "nothing is proposed");
  if (pending_->set->hash() != hash) {
    return refuse(409, "the pending proposal is " + std::string(pending_->set->hash()) + ", not this hash");
  }
  if (options_.gate.policy == ReloadPolicy::kFourEyes && by == pending_->proposed_by) {
    return refuse(403, "four eyes: the proposer cannot approve their own set");
  }
  const std::string proposer = pending_->proposed_by;
  decide("approve", by, live_hash, std::string(hash), "approved", {"proposed by " + proposer});
  go_live(pending_->set, by, "approve");
  spdlog::info("{} approved by {} (proposed by {}): live", hash, by, proposer);
  return {200, reply_json("activated", hash, "proposed by " + proposer + ", approved by " + by)};
}

AdminReply PatternReloader::withdraw(const std::string& by) {
  const std::lock_guard lock(mutex_);
  if (stop_) return {503, reply_json("refused", "", "shutting down")};
  if (!pending_) return {409, reply_json("refused", "", "nothing is proposed")};
  const std::string hash(pending_->set->hash());
  set_pending(std::nullopt);
  decide("withdraw", by, std::string(live_->hash()), hash, "withdrawn", {});
  return {200, reply_json("withdrawn", hash, "")};
}

std::string PatternReloader::status_json() const {
  const std::lock_guard lock(mutex_);
  std::string json;
  JsonWriter w(json);
  w.begin_object().field("policy", reload_policy_name(options_.gate.policy)).field("source", options_.source);
  w.key("live").begin_object().field("hash", live_->hash());
  w.field("rules", static_cast<std::int64_t>(live_->rules().size()));
  w.field("database_bytes", static_cast<std::int64_t>(live_->database_bytes())).field("since", live_since_);
  w.end_object();
  w.key("building").boolean(building_ || requested_.has_value());
  if (last_build_) {
    w.key("last_build").begin_object().field("at", last_build_->at).key("passed").boolean(last_build_->passed);
    w.key("seconds").decimal(last_build_->seconds, 3);
    w.field("rules", static_cast<std::int64_t>(last_build_->rules));
    w.field("problems", static_cast<std::int64_t>(last_build_->problems));
    w.field("database_bytes", static_cast<std::int64_t>(last_build_->database_bytes)).end_object();
  }
  if (last_decision_) {
    w.key("last_decision").begin_object().field("at", last_decision_->at).field("event", last_decision_->event);
    w.field("operator", last_decision_->by).field("result", last_decision_->result);
    w.field("new_hash", last_decision_->new_hash).key("reasons").begin_array();
    for (const auto& reason : last_decision_->reasons) w.string(reason);
    w.end_array().end_object();
  }
  w.key("pending");
  if (!pending_) {
    w.null();
  } else {
    w.begin_object().field("hash", pending_->set->hash()).field("proposed_by", pending_->proposed_by);
    w.field("proposed_at", pending_->proposed_at);
    w.field("rules", static_cast<std::int64_t>(pending_->set->rules().size()));
    const auto comparison = hooks_.compare ? hooks_.compare() : std::nullopt;
    w.key("shadow");
    if (!comparison || comparison->shadow_hash != pending_->set->hash()) {
      w.null();
    } else {
      w.begin_object().field("since", format_rfc3339_ms(comparison->since_unix_ms));
      w.field("posts", static_cast<std::int64_t>(comparison->posts));
      std::uint64_t live_total = 0;
      std::uint64_t shadow_total = 0;
      w.key("rules").begin_array();
      for (const auto& [rule, counts] : comparison->alerts_by_rule) {
        w.begin_object().field("rule", rule).field("live", static_cast<std::int64_t>(counts.live));
        w.field("shadow", static_cast<std::int64_t>(counts.shadow)).end_object();
        live_total += counts.live;
        shadow_total += counts.shadow;
      }
      w.end_array();
      w.field("live_alerts", static_cast<std::int64_t>(live_total));
      w.field("shadow_alerts", static_cast<std::int64_t>(shadow_total)).end_object();
    }
    w.end_object();
  }
  w.end_object();
  return json;
}

void PatternReloader::decide(const std::string& event, const std::string& by, const std::string& old_hash,
                             const std::string& new_hash, const std::string& result,
                             const std::vector<std::string>& reasons) {
  const std::string at = format_rfc3339_ms(now_unix_ms());
  last_decision_ = LastDecision{at, event, by, result, new_hash, reasons};
  if (hooks_.metrics) hooks_.metrics->count_reload(result, now_unix_seconds());
  std::string line;
  JsonWriter w(line);
  w.begin_object().field("time", at).field("event", event).field("operator", by);
  w.field("policy", reload_policy_name(options_.gate.policy));
  w.field("old_hash", old_hash).field("new_hash", new_hash).field("result", result);
  w.key("reasons").begin_array();
  for (const auto& reason : reasons) w.string(reason);
  w.end_array().end_object();
  if (options_.gate.audit_log.empty()) {
    spdlog::info("audit: {}", line);
    return;
  }
  // Append-only: opened for each line, so rotating the file loses nothing.
  std::ofstream out(options_.gate.audit_log, std::ios::app);
  out << line << '\n';
  if (!out) spdlog::error("audit log {}: cannot write", options_.gate.audit_log);
}

}  // namespace wachtpost
