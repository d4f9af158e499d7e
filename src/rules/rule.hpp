#pragma once
// The rule model: what operators write in patterns/*.yaml.
//
// A ThreatRule fires when one of its threat expressions occurs within
// `window_words` words of a protected target (a named ProtectedPerson or a
// protected role such as "judge") and no ExclusionContext (reported speech,
// news, idiom, self-reference) covers the threat.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wachtpost {

// Where an item was written, for errors and lint reports: "nl/threats.yaml:12".
struct SourceLocation {
  std::string file;
  int line = 0;  // 1-based
  [[nodiscard]] std::string str() const { return file + ":" + std::to_string(line); }
};

enum class Severity : std::uint8_t { kCritical, kHigh, kMedium, kLow };
std::string_view severity_name(Severity severity);
std::optional<Severity> parse_severity(std::string_view text);

// Categories the desk sorts alerts by. Adding one is a code change on purpose:
// dashboards and alert routing depend on the list.
inline constexpr std::string_view kCategories[] = {"death_threat",    "violence", "arson_or_explosive",
                                                   "home_or_doxxing", "family",   "incitement"};
bool is_known_category(std::string_view category);

// Roles protected by the desk, whether or not a person is named.
inline constexpr std::string_view kProtectedRoles[] = {"minister",   "mp",         "politician", "judge",
                                                       "prosecutor", "journalist", "lawyer",     "mayor"};
bool is_known_role(std::string_view role);

struct RuleExample {
  std::string text;
  SourceLocation where;
};

struct ThreatRule {
  std::string id;  // stable across revisions, e.g. "nl.death.kill-verb"
  int rev = 1;
  std::string description;
  std::string author;
  std::string category;
  Severity severity = Severity::kHigh;
  std::string lang;
  std::string expires;                    // "YYYY-MM-DD" or empty
  std::vector<std::string> target_roles;  // empty: any protected role or person
  std::uint32_t window_words = 8;
  // A rule's own exclusions silence a threat match only this close to it (0:
  // touching or overlapping). They name the idiom that shares the threat's
  // words ("hang out", "kill the bill"), so a wider reach would let a topic
  // word anywhere near ("votes", "bill") silence a real threat.
  std::uint32_t exclude_window = 2;
  // Words allowed between two parts of a threat sequence ("a ... b"), and
  // between the parts of a co-occurrence ("a && b") and its first part.
  std::uint32_t gap_words = 6;
  std::vector<RuleExample> positive_examples;
  std::vector<RuleExample> negative_examples;
  SourceLocation where;
  // A learned rule (rules/learned_cues.hpp): weighs a post only when no
  // written rule fired on it; its category comes from its cues.
  bool learned = false;
};

// Something a threat must point at to matter to this desk.
struct ProtectedTarget {
  std::string role;       // one of kProtectedRoles
  std::string person_id;  // empty for a role term ("rechter")
  std::string name;       // the person's display name; empty for a role term
};

struct ExclusionContext {
  enum class Scope : std::uint8_t {
    kWindow,  // suppresses threats within the rule's window of it
    kPost,    // suppresses every threat in the post
  };
  std::string id;
  std::string description;
  std::string lang;
  Scope scope = Scope::kWindow;
  std::int32_t only_rule = -1;  // >= 0: a rule's own exclusion, applies to that rule only
  // kWindow: how near to a threat match it reaches; kRuleWindow: the rule's window.
  static constexpr std::uint32_t kRuleWindow = UINT32_MAX;
  std::uint32_t window_words = kRuleWindow;
  SourceLocation where;
};

enum class PatternKind : std::uint8_t {
  kThreat,
  kTarget,
  kExclusion,
  kThreatPart,  // one part of a threat sequence ("weet waar ... woont")
};

// Where a threat expression written with "<target>" wants its target: the
// verb's object ("shoot <target>", "<target> neerschieten"). Verbs whose
// meaning depends on their object ("shoot the breeze", "beat the deadline")
// can then be listed bare, and still fire only when a protected target is
// what they act on.
enum class ObjectTarget : std::uint8_t {
  kNone,    // any target within the rule's window
  kAfter,   // "... <target>": a target starts at most kObjectWords words after
  kBefore,  // "<target> ...": a target ends at most kObjectWords words before
};
// Room for a determiner and an adjective: "shoot that corrupt judge".
inline constexpr std::uint32_t kObjectWords = 2;

// One Hyperscan expression; its index in PatternSet::patterns() is its id.
//
// A threat sequence is one entry of kind kThreat with no expression (never
// compiled) and one kThreatPart entry per part, whose `owner` is that entry.
// The evaluator reports it when its parts occur:
//  - ordered ("know where ... lives"): in order, each at most `gap_words`
//    words after the one before, within one sentence;
//  - unordered ("nice house && shame"): in any order, each within
//    `gap_words` words of the first part, across sentences.
struct PatternEntry {
  PatternKind kind = PatternKind::kThreat;
  std::uint32_t owner = 0;  // index into rules(), targets(), exclusions(), or patterns() for a part
  std::string expression;   // as compiled; empty for a threat sequence
  SourceLocation where;
  std::uint8_t part = 0;                      // kThreatPart: position in its sequence
  std::uint8_t parts = 0;                     // threat sequence: number of parts (0: a plain expression)
  std::uint8_t gap_words = 0;                 // threat sequence: words allowed between two parts
  bool ordered = true;                        // threat sequence: " ... " (true) or " && " (false)
  ObjectTarget object = ObjectTarget::kNone;  // plain threat: must its target be its object?
  // Target: a registered person's bare surname ("Jansen", "Van Dam"). Many
  // people share it, so it names the person only when the post also names
  // them in full or mentions their role ("Jansen the judge", "Van Dam ...
  // burgemeesters zijn ook maar mensen").
  bool bare_surname = false;
  // Bytes a match of `expression` spans (max: UINT32_MAX when unbounded). A
  // fixed width (min == max) gives a match's start from its end, so only
  // expressions of varying width need Hyperscan to track starts.
  std::uint32_t min_width = 0;
  std::uint32_t max_width = 0;
  [[nodiscard]] bool fixed_width() const { return min_width == max_width; }
};

}  // namespace wachtpost
