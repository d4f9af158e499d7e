#include "alert/alert.hpp"

#include <algorithm>
#include <array>

#include "alert/digest.hpp"
#include "alert/json_writer.hpp"
#include "normalize/normalizer.hpp"

namespace wachtpost {

std::string make_alert_id(std::string_view platform, std::string_view post_id, std::string_view rule_id,
                          std::string_view pattern_set_hash) {
  const std::array<std::string_view, 5> parts{"alert-v1", platform, post_id, rule_id, pattern_set_hash};
  return sha256_hex(parts, 32);
}

void append_alert_json(const Alert& alert, std::string& out) {
  JsonWriter w(out);
  w.begin_object();
  w.field("alert_id", alert.alert_id);
  w.field("post_id", alert.post_id);
  w.field("platform", alert.platform);
  w.field("url", alert.url);
  w.field("created_at", alert.created_at);
  w.field("detected_at", alert.detected_at);
  if (!alert.lang.empty()) w.field("lang", alert.lang);
  w.field("severity", severity_name(alert.severity));
  w.field("category", alert.category);
  w.field("rule", alert.rule);
  w.field("rule_rev", static_cast<std::int64_t>(alert.rule_rev));
  w.field("rule_description", alert.rule_description);
  w.field("pattern_set", alert.pattern_set);
  w.key("targets").begin_array();
  for (const auto& target : alert.targets) {
    w.begin_object();
    if (!target.id.empty()) {
      w.field("id", target.id);
      w.field("name", target.name);
    }
    w.field("role", target.role);
    w.end_object();
  }
  w.end_array();
  w.key("matches").begin_array();
  for (const auto& match : alert.matches) {
    w.begin_object();
    w.field("rule", match.rule);
    w.field("kind", match.kind);
    w.field("start", static_cast<std::int64_t>(match.start));
    w.field("end", static_cast<std::int64_t>(match.end));
    w.field("text", match.text);
    w.key("decoded").begin_array();
    for (const auto step : decode_step_names(match.decoded)) w.string(step);
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.field("excerpt", alert.excerpt);
  w.field("excerpt_start", static_cast<std::int64_t>(alert.excerpt_start));
  if (!alert.author_ref.empty()) w.field("author_ref", alert.author_ref);
  w.end_object();
}

namespace {

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

ExcerptSpan choose_excerpt(std::string_view text, std::uint32_t from, std::uint32_t to, std::uint32_t max_bytes) {
  const auto size = static_cast<std::uint32_t>(text.size());
  if (size <= max_bytes) return {0, size};
  to = std::min(to, size);
  from = std::min(from, to);
  std::uint32_t start = 0;
  std::uint32_t end = 0;
  const std::uint32_t span = to - from;
  if (span >= max_bytes) {
    start = from;
    end = from + max_bytes;
  } else {
    // Centre the evidence, then slide the window back inside the text.
    const std::uint32_t slack = (max_bytes - span) / 2;
    start = from > slack ? from - slack : 0;
    end = start + max_bytes;
    if (end > size) {
      end = size;
      start = size - max_bytes;
    }
  }
  // Never split a code point.
  while (start > 0 && start < size && is_continuation(text[start])) ++start;
  end = std::max(end, start);  // a window narrower than one character is empty, not negative
  while (end < size && end > start && is_continuation(text[end])) --end;
  // Prefer whole words when that costs little of the window.
  const std::uint32_t look = 24;
  if (start > 0) {
    for (std::uint32_t i = start; i < std::min({start + look, from, end}); ++i) {
      if (text[i] == ' ') {
        start = i + 1;
        break;
      }
    }
  }
  if (end < size) {
    for (std::uint32_t i = end; i > std::max({end > look ? end - look : 0U, to, start}); --i) {
      if (text[i - 1] == ' ') {
        end = i - 1;
        break;
      }
    }
  }
  return {start, end - start};
}

}  // namespace wachtpost
