#include "alert/alert_diff.hpp"

#include <algorithm>
#include <set>
#include <tuple>

namespace wachtpost {

namespace {

std::set<std::pair<std::string, std::string>> target_set(const Alert& alert) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& t : alert.targets) out.emplace(t.id, t.role);
  return out;
}

void count(SetQuality& quality, std::optional<bool> expected, bool alerted) {
  if (!expected) return;
  if (*expected) {
    ++quality.threats;
    quality.found += alerted;
  } else {
    ++quality.harmless;
    quality.false_alerts += alerted;
  }
}

}  // namespace

void AlertDiff::add_post(const std::vector<Alert>& baseline, const std::vector<Alert>& candidate,
                         std::optional<bool> expected) {
  ++posts_;
  baseline_alerts_ += baseline.size();
  candidate_alerts_ += candidate.size();
  count(baseline_quality_, expected, !baseline.empty());
  count(candidate_quality_, expected, !candidate.empty());
  // A rule alerts at most once per post, so (post, rule) names an alert.
  for (const Alert& before : baseline) {
    const auto after =
        std::find_if(candidate.begin(), candidate.end(), [&](const Alert& a) { return a.rule == before.rule; });
    if (after == candidate.end()) {
      changes_.push_back({AlertChange::Kind::kLost, before.post_id, before.rule, before, std::nullopt});
    } else if (before.severity != after->severity || before.category != after->category ||
               target_set(before) != target_set(*after)) {
      changes_.push_back({AlertChange::Kind::kChanged, before.post_id, before.rule, before, *after});
    }
  }
  for (const Alert& after : candidate) {
    const bool known =
        std::any_of(baseline.begin(), baseline.end(), [&](const Alert& a) { return a.rule == after.rule; });
    if (!known) changes_.push_back({AlertChange::Kind::kAdded, after.post_id, after.rule, std::nullopt, after});
  }
}

}  // namespace wachtpost
