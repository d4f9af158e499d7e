#pragma once
// The gate a pattern set passes before it may go live (the reload gate, and
// `wachtpost patterns test`): every rule's embedded examples through the
// whole post path (a positive example must make its rule fire, a negative one
// must not) and, where the operator keeps one, a labelled corpus on which the
// set must reach the desk's recall and false-alert bars.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "match/pattern_set.hpp"

namespace wachtpost {

struct ExampleCheck {
  std::size_t passed = 0;
  std::vector<std::string> failures;  // "file:line: rule 'id': ..."
};

ExampleCheck check_examples(const std::shared_ptr<const PatternSet>& set);

struct CorpusCheck {
  std::uint64_t threats = 0;          // labelled posts that should alert
  std::uint64_t harmless = 0;         // labelled posts that should not
  std::uint64_t found = 0;            // threats with at least one alert
  std::uint64_t false_alerts = 0;     // harmless posts with an alert
  std::vector<std::string> failures;  // bars missed, unreadable files or lines
  [[nodiscard]] double recall() const { return threats == 0 ? 1.0 : double(found) / double(threats); }
  [[nodiscard]] double false_alert_share() const {
    return harmless == 0 ? 0.0 : double(false_alerts) / double(harmless);
  }
};

// Labelled NDJSON posts (an "expect": {"alert": bool} field; see
// tests/data/labelled/README.md). A line that is not a labelled post is a
// failure naming file:line: a gate must not pass on a corpus it cannot read.
CorpusCheck check_corpus(const std::shared_ptr<const PatternSet>& set, const std::vector<std::string>& files,
                         double min_recall, double max_false_alerts);

}  // namespace wachtpost
