#pragma once
// The output contract (topics/alerts.schema.json): one alert per post and
// rule that fired, explaining itself like a Suricata EVE alert: which rule
// (id, revision, description), which pattern set, which words, which targets.

#include <cstdint>
#include <string>
#include <vector>

#include "rules/rule.hpp"

namespace wachtpost {

struct AlertTarget {
  std::string id;    // protected person id; empty for a role
  std::string name;  // protected person's name; empty for a role
  std::string role;
};

struct AlertMatch {
  std::string rule;
  std::string kind;    // "threat" or "target"
  std::uint32_t start = 0;  // byte offsets into the original post text
  std::uint32_t end = 0;
  std::string text;    // the original bytes [start, end)
  std::uint8_t decoded = 0;  // DecodeStep bits
};

struct Alert {
  std::string alert_id;
  std::string post_id;
  std::string platform;
  std::string url;
  std::string created_at;
  std::string detected_at;
  std::string lang;
  Severity severity = Severity::kHigh;
  std::string category;
  std::string rule;
  int rule_rev = 0;
  std::string rule_description;
  std::string pattern_set;
  std::vector<AlertTarget> targets;
  std::vector<AlertMatch> matches;
  std::string excerpt;
  std::uint32_t excerpt_start = 0;  // byte offset of the excerpt in the original text
  std::string author_ref;           // empty: no pseudonym configured or no author
};

// Deterministic: the same post, rule and pattern set always give the same id.
std::string make_alert_id(std::string_view platform, std::string_view post_id, std::string_view rule_id,
                          std::string_view pattern_set_hash);

// Appends the alert as one line of JSON (no newline).
void append_alert_json(const Alert& alert, std::string& out);

// The excerpt keeps alerts small (data minimisation) while giving the officer
// context: at most `max_bytes` of the original text around [from, to), cut at
// UTF-8 boundaries and, where possible, at spaces. Returns {start, length}.
struct ExcerptSpan {
  std::uint32_t start;
  std::uint32_t length;
};
ExcerptSpan choose_excerpt(std::string_view text, std::uint32_t from, std::uint32_t to, std::uint32_t max_bytes);

inline constexpr std::uint32_t kExcerptMaxBytes = 280;

}  // namespace wachtpost
