#pragma once
// PatternSet: an immutable, compiled set of rules, targets and exclusions.
//
// Built once (at start or on reload), then shared read-only by every worker
// through std::shared_ptr<const PatternSet>; a reload builds a new one and
// swaps the pointer, so a post is always evaluated against one consistent set.

#include <hs/hs.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rules/learned_cues.hpp"
#include "rules/rule.hpp"

namespace wachtpost {

struct HsDatabaseDeleter {
  void operator()(hs_database_t* db) const { hs_free_database(db); }
};
using HsDatabase = std::unique_ptr<hs_database_t, HsDatabaseDeleter>;

class PatternSet {
 public:
  PatternSet(std::vector<ThreatRule> rules, std::vector<ProtectedTarget> targets,
             std::vector<ExclusionContext> exclusions, std::vector<PatternEntry> patterns,
             std::vector<LearnedCues> learned, HsDatabase database, HsDatabase start_database, std::string hash,
             std::vector<std::string> notices);

  [[nodiscard]] std::span<const ThreatRule> rules() const { return rules_; }
  [[nodiscard]] std::span<const ProtectedTarget> targets() const { return targets_; }
  [[nodiscard]] std::span<const ExclusionContext> exclusions() const { return exclusions_; }
  [[nodiscard]] std::span<const PatternEntry> patterns() const { return patterns_; }
  // Learned rules, one per language at most (rules/learned_cues.hpp).
  [[nodiscard]] std::span<const LearnedCues> learned() const { return learned_; }
  // Every expression, compiled without start-of-match tracking: it finds
  // where matches end, at Hyperscan's full speed.
  [[nodiscard]] const hs_database_t* database() const { return database_.get(); }
  // The expressions of varying width only, with HS_FLAG_SOM_LEFTMOST: run
  // over a little text around a match the first database found, it gives
  // that match's start (match/scanner.hpp). Null when every width is fixed.
  [[nodiscard]] const hs_database_t* start_database() const { return start_database_.get(); }
  // Content hash of every source the set was built from ("sha256:" + 16 hex).
  [[nodiscard]] std::string_view hash() const { return hash_; }
  // Things an operator should know but that do not stop the set (expired rules).
  [[nodiscard]] std::span<const std::string> notices() const { return notices_; }
  // Both databases together.
  [[nodiscard]] std::size_t database_bytes() const;

 private:
  std::vector<ThreatRule> rules_;
  std::vector<ProtectedTarget> targets_;
  std::vector<ExclusionContext> exclusions_;
  std::vector<PatternEntry> patterns_;
  std::vector<LearnedCues> learned_;
  HsDatabase database_;
  HsDatabase start_database_;
  std::string hash_;
  std::vector<std::string> notices_;
};

}  // namespace wachtpost
