#pragma once

#include <span>
#include <string_view>

namespace wachtpost {

// One rule file's name (relative to the patterns folder) and content.
struct RuleSource {
  std::string_view name;
  std::string_view content;
};

// The shipped pattern set, compiled into the binary from patterns/.
std::span<const RuleSource> embedded_pattern_sources();

}  // namespace wachtpost
