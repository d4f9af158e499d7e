#pragma once
// Hot reload of the pattern set and registry, behind a validation gate.
//
// A request (SIGHUP) makes a thread of its own build the set from disk while
// consumption goes on; the set goes live only when it compiles and every
// rule's examples pass. Then `activate` swaps it in (the stream processor
// holds it behind an atomic pointer: a batch in flight finishes on the set it
// started with). A refused set leaves the running one in place. Every
// activation and refusal is one JSON line in the audit log: time, operator,
// old hash, new hash, result, reasons.
//
// Policy: single operator. Whoever can signal the process activates a set
// that passes its examples; the four-eyes approval of issue 6 is not built.

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "match/pattern_set.hpp"

namespace wachtpost {

struct ReloadOptions {
  std::string patterns_dir;         // empty: the embedded set (a reload then only re-reads the registry)
  std::string protected_file;       // may be empty
  std::filesystem::path audit_log;  // empty: audit lines go to the log only
};

class PatternReloader {
 public:
  // `current` is the hash of the running set; `activate` is called on the
  // reloader's thread with each set that passed the gate.
  PatternReloader(ReloadOptions options, std::string current,
                  std::function<void(std::shared_ptr<const PatternSet>)> activate);
  ~PatternReloader();
  PatternReloader(const PatternReloader&) = delete;
  PatternReloader& operator=(const PatternReloader&) = delete;

  // Safe from any thread (a signal watcher): asks for one reload by `operator_name`.
  void request(std::string operator_name);

 private:
  void reload(const std::string& operator_name);
  void audit(const std::string& operator_name, const std::string& new_hash, const std::string& result,
             const std::vector<std::string>& reasons);

  ReloadOptions options_;
  std::string current_;
  std::function<void(std::shared_ptr<const PatternSet>)> activate_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string pending_;  // operator of the pending request; empty: none
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace wachtpost
