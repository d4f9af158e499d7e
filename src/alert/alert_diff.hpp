#pragma once
// What a candidate pattern set changes, post by post, against a baseline:
// the alerts it adds, the alerts it loses, and the alerts both raise with a
// different severity, category or targets. `wachtpost replay` prints it
// before a set goes live.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "alert/alert.hpp"

namespace wachtpost {

struct AlertChange {
  enum class Kind : std::uint8_t { kAdded, kLost, kChanged };
  Kind kind = Kind::kAdded;
  std::string post_id;
  std::string rule;
  std::optional<Alert> baseline;   // lost, changed
  std::optional<Alert> candidate;  // added, changed
};

// Labelled posts (an "expect" field) give precision and recall of both sets.
struct SetQuality {
  std::uint64_t threats = 0;       // labelled posts that should alert
  std::uint64_t harmless = 0;      // labelled posts that should not
  std::uint64_t found = 0;         // threats with at least one alert
  std::uint64_t false_alerts = 0;  // harmless posts with an alert
  [[nodiscard]] double recall() const { return threats == 0 ? 0 : double(found) / double(threats); }
  [[nodiscard]] double precision() const {
    return found + false_alerts == 0 ? 0 : double(found) / double(found + false_alerts);
  }
};

class AlertDiff {
 public:
  // The alerts of one post under each set; `expected` when the post is labelled.
  void add_post(const std::vector<Alert>& baseline, const std::vector<Alert>& candidate, std::optional<bool> expected);

  [[nodiscard]] const std::vector<AlertChange>& changes() const { return changes_; }
  [[nodiscard]] std::uint64_t posts() const { return posts_; }
  [[nodiscard]] std::uint64_t baseline_alerts() const { return baseline_alerts_; }
  [[nodiscard]] std::uint64_t candidate_alerts() const { return candidate_alerts_; }
  [[nodiscard]] const SetQuality& baseline_quality() const { return baseline_quality_; }
  [[nodiscard]] const SetQuality& candidate_quality() const { return candidate_quality_; }
  [[nodiscard]] bool labelled() const { return baseline_quality_.threats + baseline_quality_.harmless > 0; }

 private:
  std::vector<AlertChange> changes_;
  std::uint64_t posts_ = 0;
  std::uint64_t baseline_alerts_ = 0;
  std::uint64_t candidate_alerts_ = 0;
  SetQuality baseline_quality_;
  SetQuality candidate_quality_;
};

}  // namespace wachtpost
