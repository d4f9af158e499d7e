#pragma once

#include <ostream>
#include <string>

#include "cli/pattern_source.hpp"

namespace wachtpost {

// `wachtpost replay --patterns CANDIDATE [--baseline DIR] FILE`: runs a
// candidate set and a baseline (default: the embedded set) over the same
// posts and prints what the candidate changes: added, lost and changed
// alerts, each with its excerpt; with labelled posts also precision and
// recall of both. `--json` for machines.
struct ReplayOptions {
  PatternSetLocation candidate;
  std::string baseline_dir;  // empty: the embedded set
  std::string input;
  bool json = false;
};

int run_replay(const ReplayOptions& options, std::ostream& out, std::ostream& err);

}  // namespace wachtpost
