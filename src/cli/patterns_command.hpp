#pragma once

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "cli/pattern_source.hpp"

namespace wachtpost {

// `wachtpost patterns lint`: builds the set and checks what every rule must
// carry (ids, fields, compilable expressions, at least two positive and two
// negative examples). Problems are printed as "file:line: message".
int run_patterns_lint(const PatternSetLocation& location, std::ostream& out, std::ostream& err);

// `wachtpost patterns test`: the reload gate, offline. Runs every rule's
// embedded examples through the full pipeline (a positive example must make
// its rule fire, a negative one must not) and, with `corpus`, checks recall
// and the false-alert share on those labelled posts against the bars.
struct PatternsTestOptions {
  std::vector<std::string> corpus;
  double min_recall = 0.90;
  double max_false_alerts = 0.05;
};
int run_patterns_test(const PatternSetLocation& location, const PatternsTestOptions& options, std::ostream& out,
                      std::ostream& err);

// `wachtpost patterns explain TEXT`: shows an operator why a text does or
// does not alert: its normalised form, every threat, target and exclusion
// expression that matched (with file:line), and the verdict per rule.
int run_patterns_explain(const PatternSetLocation& location, std::string_view text, std::string_view lang,
                         std::ostream& out, std::ostream& err);

struct LearnOptions {
  PatternSetLocation patterns;  // the set whose targets decide which posts the rule weighs
  std::string lang;
  std::string out;  // the learned rule file; its id, examples and rev are kept
  std::vector<std::string> corpus;
  double false_alert_budget = 0.02;
};

// `wachtpost patterns learn`: learns a learned rule's weights from labelled
// files (rules/cue_learner.hpp) and writes its file; reports the
// leave-one-file-out recall and false-alert rate at the chosen threshold.
int run_patterns_learn(const LearnOptions& options, std::ostream& out, std::ostream& err);

}  // namespace wachtpost
