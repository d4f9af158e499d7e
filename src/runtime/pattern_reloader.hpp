#pragma once
// How a new pattern set (and protected-person registry) goes live without a
// restart: built in the background, put through the gate, proposed,
// approved by a second operator (four eyes) and swapped in atomically.
//
// Requests come from SIGHUP, the admin routes of the desk server and, when
// enabled, a watch on the pattern files. Each makes this class's own thread
// build the set from its files while consumption goes on. A set is refused,
// and the running one stays, unless it compiles, every rule's examples pass
// and, with a labelled corpus, it reaches the recall and false-alert bars.
//
// Policy four eyes (the default of `run`): a set that passes becomes the
// pending proposal, runs beside the live set in shadow (its alerts go to the
// shadow topic, with per-rule counts of both sets), and goes live only when
// an operator other than its proposer approves its exact hash. Policy single
// operator (`demo`, local use): a reload goes live as soon as it passes.
//
// Every proposal, approval, activation, withdrawal and refusal is one JSON
// line in the append-only audit log: time, event, operator, old hash, new
// hash, result, reasons.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http/admin_actions.hpp"
#include "match/pattern_loader.hpp"
#include "match/pattern_set.hpp"
#include "metrics/pipeline_metrics.hpp"
#include "runtime/run_config.hpp"
#include "runtime/shadow_comparison.hpp"

namespace wachtpost {

struct ReloadOptions {
  ReloadConfig gate;  // policy, audit log, watch, labelled corpus and its bars
  // Builds the set from its files; throws PatternSetError (with file:line
  // problems) or std::exception when it cannot.
  std::function<std::shared_ptr<const PatternSet>()> build;
  std::string source;                          // what `build` reads, for the log
  std::vector<std::filesystem::path> watched;  // folders (their *.yaml) and files the watch polls
};

struct ReloadHooks {
  // Makes `set` the live set (the stream processor's swap and the metrics).
  std::function<void(std::shared_ptr<const PatternSet>)> activate;
  // Runs `set` beside the live one; null: stop the shadow run.
  std::function<void(std::shared_ptr<const PatternSet>)> shadow;
  // The shadow run's counts so far, for the status.
  std::function<std::optional<ShadowComparison>()> compare;
  std::shared_ptr<PipelineMetrics> metrics;  // may be null
};

class PatternReloader : public AdminActions {
 public:
  PatternReloader(ReloadOptions options, std::shared_ptr<const PatternSet> live, ReloadHooks hooks);
  ~PatternReloader() override;
  PatternReloader(const PatternReloader&) = delete;
  PatternReloader& operator=(const PatternReloader&) = delete;

  // Safe from any thread (a signal watcher): one build by `by`; `activate`
  // as in AdminActions::request_build. Requests arriving during a build are
  // merged into the next one.
  void request(std::string by, bool activate);

  // Waits for the thread and turns every later call into a refusal; hooks
  // are never called after it returns. Call before what the hooks touch goes.
  void shut_down();

  AdminReply request_build(const std::string& by, bool activate) override;
  AdminReply approve(const std::string& by, std::string_view hash) override;
  AdminReply withdraw(const std::string& by) override;
  [[nodiscard]] std::string status_json() const override;

 private:
  struct Proposal {
    std::shared_ptr<const PatternSet> set;
    std::string proposed_by;
    std::string proposed_at;
  };
  struct LastDecision {
    std::string at;
    std::string event;
    std::string by;
    std::string result;
    std::string new_hash;
    std::vector<std::string> reasons;
  };
  struct LastBuild {
    std::string at;
    bool passed = true;
    double seconds = 0;
    std::size_t rules = 0;
    std::size_t problems = 0;
    std::size_t database_bytes = 0;
  };

  void build(const std::string& by, bool activate);
  // Called with mutex_ held.
  void go_live(std::shared_ptr<const PatternSet> set, const std::string& by, const std::string& event);
  void set_pending(std::optional<Proposal> proposal);
  void decide(const std::string& event, const std::string& by, const std::string& old_hash, const std::string& new_hash,
              const std::string& result, const std::vector<std::string>& reasons);
  [[nodiscard]] std::uint64_t fingerprint() const;

  ReloadOptions options_;
  ReloadHooks hooks_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<const PatternSet> live_;
  std::string live_since_;
  std::optional<Proposal> pending_;
  std::optional<LastDecision> last_decision_;
  std::optional<LastBuild> last_build_;
  std::optional<std::pair<std::string, bool>> requested_;  // by, activate
  std::uint64_t watched_fingerprint_ = 0;
  bool building_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace wachtpost
