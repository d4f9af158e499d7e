#include "rules/rule.hpp"

#include <algorithm>

namespace wachtpost {

std::string_view severity_name(Severity severity) {
  switch (severity) {
    case Severity::kCritical: return "critical";
    case Severity::kHigh: return "high";
    case Severity::kMedium: return "medium";
    case Severity::kLow: return "low";
  }
  return "unknown";
}

std::optional<Severity> parse_severity(std::string_view text) {
  if (text == "critical") return Severity::kCritical;
  if (text == "high") return Severity::kHigh;
  if (text == "medium") return Severity::kMedium;
  if (text == "low") return Severity::kLow;
  return std::nullopt;
}

bool is_known_category(std::string_view category) {
  return std::ranges::find(kCategories, category) != std::end(kCategories);
}

bool is_known_role(std::string_view role) {
  return std::ranges::find(kProtectedRoles, role) != std::end(kProtectedRoles);
}

}  // namespace wachtpost
