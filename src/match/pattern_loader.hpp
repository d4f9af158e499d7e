#pragma once
// Reads rule files and a protected-person registry into a compiled PatternSet.

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "match/database_cache.hpp"
#include "match/embedded_patterns.hpp"
#include "match/pattern_set.hpp"

namespace wachtpost {

// A set that cannot be built. Every problem found is listed, each starting
// with "file:line: ", so an operator can fix them all in one go.
class PatternSetError : public std::runtime_error {
 public:
  explicit PatternSetError(std::vector<std::string> problems);
  [[nodiscard]] const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

// Owned copies of rule files read from disk.
struct LoadedSources {
  std::vector<std::string> names;
  std::vector<std::string> contents;
  [[nodiscard]] std::vector<RuleSource> views() const;
};

// Every *.yaml / *.yml below `dir`, except examples/ and protected*.yaml
// (registries are passed separately), in a stable order.
LoadedSources read_rule_directory(const std::filesystem::path& dir);

struct PatternSetInput {
  std::span<const RuleSource> rule_sources;
  // Optional protected-person registry (name is used in error messages).
  std::optional<RuleSource> registry;
  // "YYYY-MM-DD" of today, for skipping expired rules; empty: never expire.
  std::string today;
  // Compiled databases of known sets; null: always compile.
  const DatabaseCache* cache = nullptr;
};

// Parses, validates and compiles. Throws PatternSetError.
std::shared_ptr<const PatternSet> build_pattern_set(const PatternSetInput& input);

// Today's date in UTC as "YYYY-MM-DD".
std::string utc_today();

}  // namespace wachtpost
