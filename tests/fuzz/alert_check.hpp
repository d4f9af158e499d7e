#pragma once
// What every alert of a processed post must satisfy, whatever the rules: its
// offsets and excerpt lie inside the post's text (topics/alerts.schema.json:
// byte offsets into the original), it serialises to valid JSON (simdjson's
// DOM parser also checks the UTF-8), and a post alerts at most once per rule.

#include <simdjson.h>

#include <algorithm>
#include <span>
#include <string>
#include <string_view>

#include "alert/alert.hpp"
#include "fuzz_check.hpp"
#include "ingest/post.hpp"
#include "match/pattern_set.hpp"

namespace wachtpost::fuzz {

inline void check_alerts(const PatternSet& set, const Post& post, std::span<const Alert> alerts,
                         std::uint32_t excerpt_max_bytes) {
  static simdjson::dom::parser json_parser;
  bool any_learned = false;
  bool any_written = false;
  for (std::size_t a = 0; a < alerts.size(); ++a) {
    const Alert& alert = alerts[a];
    for (std::size_t b = 0; b < a; ++b) WACHTPOST_FUZZ_CHECK(alerts[b].rule != alert.rule);
    const auto rule =
        std::find_if(set.rules().begin(), set.rules().end(), [&](const ThreatRule& r) { return r.id == alert.rule; });
    WACHTPOST_FUZZ_CHECK(rule != set.rules().end());
    (rule->learned ? any_learned : any_written) = true;
    WACHTPOST_FUZZ_CHECK(alert.post_id == post.id && alert.pattern_set == set.hash());
    for (const AlertMatch& match : alert.matches) {
      WACHTPOST_FUZZ_CHECK(match.start <= match.end && match.end <= post.text.size());
      WACHTPOST_FUZZ_CHECK(match.text == post.text.substr(match.start, match.end - match.start));
      WACHTPOST_FUZZ_CHECK(match.kind == "threat" || match.kind == "target");
    }
    WACHTPOST_FUZZ_CHECK(alert.excerpt.size() <= excerpt_max_bytes);
    WACHTPOST_FUZZ_CHECK(alert.excerpt_start <= post.text.size());
    WACHTPOST_FUZZ_CHECK(alert.excerpt == post.text.substr(alert.excerpt_start, alert.excerpt.size()));

    std::string json;
    append_alert_json(alert, json);
    simdjson::dom::element root;
    WACHTPOST_FUZZ_CHECK(json_parser.parse(json).get(root) == simdjson::SUCCESS);
    std::string_view alert_id;
    WACHTPOST_FUZZ_CHECK(root["alert_id"].get(alert_id) == simdjson::SUCCESS && alert_id == alert.alert_id);
    std::string_view text;
    WACHTPOST_FUZZ_CHECK(root["excerpt"].get(text) == simdjson::SUCCESS && text == alert.excerpt);
  }
  // A learned rule only weighs posts no written rule fired on.
  WACHTPOST_FUZZ_CHECK(!(any_learned && any_written));
}

}  // namespace wachtpost::fuzz
