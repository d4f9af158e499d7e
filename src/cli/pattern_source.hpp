#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "match/pattern_loader.hpp"

namespace wachtpost {

// Where a command takes its pattern set from: a folder, or the set embedded
// in the binary when `patterns_dir` is empty; plus an optional registry.
struct PatternSetLocation {
  std::string patterns_dir;
  std::string protected_file;
  // Used when protected_file is empty (the demo's own registry); static text.
  std::string_view default_registry;
};

// Reads and compiles the set. Throws PatternSetError (file:line problems).
std::shared_ptr<const PatternSet> load_pattern_set(const PatternSetLocation& location);

// A one-line description for logs: hash, counts, database size.
std::string describe(const PatternSet& set);

}  // namespace wachtpost
