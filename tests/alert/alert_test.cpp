// make_alert_id, append_alert_json (checked by parsing the output with
// simdjson's DOM parser) and choose_excerpt.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "alert/alert.hpp"
#include "alert/pseudonym.hpp"
#include "normalize/normalizer.hpp"

using namespace wachtpost;

namespace {

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// True when [start, start + length) of `text` begins and ends on code point boundaries.
bool on_boundaries(std::string_view text, ExcerptSpan span) {
  const std::size_t end = std::size_t{span.start} + span.length;
  if (end > text.size()) return false;
  if (span.start < text.size() && is_continuation(text[span.start])) return false;
  if (end < text.size() && is_continuation(text[end])) return false;
  return true;
}

constexpr std::string_view kAuthorId = "author-secret-77";

Alert sample_alert() {
  Alert a;
  a.alert_id = make_alert_id("x", "123", "nl.death", "sha256:0123456789abcdef");
  a.post_id = "123";
  a.platform = "x";
  a.url = "https://x.example/p/123";
  a.created_at = "2026-11-20T09:15:00Z";
  a.detected_at = "2026-11-20T09:15:01.234Z";
  a.lang = "nl";
  a.severity = Severity::kCritical;
  a.category = "death_threat";
  a.rule = "nl.death.kill_target";
  a.rule_rev = 3;
  a.rule_description = "Doodsbedreiging \"tegen\" een minister\nmet regelovergang";
  a.pattern_set = "sha256:0123456789abcdef";
  a.targets.push_back({"p-001", "Jan Jansen", "minister"});
  a.targets.push_back({"", "", "journalist"});
  a.matches.push_back({"nl.death.kill", "threat", 0, 9, "m00rd3n\xE2\x80\xA8", static_cast<std::uint8_t>(kDecodeLeet | kDecodeUnicode)});
  a.matches.push_back({"nl.target.minister", "target", 14, 22, "minister", 0});
  a.excerpt = "ik ga je m00rd3n, minister caf\xC3\xA9 \xF0\x9F\x98\x80";
  a.excerpt_start = 5;
  return a;
}

std::string to_json(const Alert& a) {
  std::string out;
  append_alert_json(a, out);
  return out;
}

std::set<std::string> keys_of(simdjson::dom::object object) {
  std::set<std::string> keys;
  for (const auto field : object) keys.insert(std::string(field.key));
  return keys;
}

std::string get_string(simdjson::dom::element e, const char* key) {
  std::string_view value;
  const auto err = e[key].get_string().get(value);
  EXPECT_EQ(err, simdjson::SUCCESS) << key;
  return std::string(value);
}

std::int64_t get_int(simdjson::dom::element e, const char* key) {
  std::int64_t value = -1;
  const auto err = e[key].get_int64().get(value);
  EXPECT_EQ(err, simdjson::SUCCESS) << key;
  return value;
}

}  // namespace

// --- make_alert_id -----------------------------------------------------------

TEST(AlertId, KnownValue) {
  // python3: hashlib.sha256(b"\x00".join([b"alert-v1", b"x", b"123", b"nl.death",
  //     b"sha256:0123456789abcdef"]) + b"\x00").hexdigest()[:32]
  EXPECT_EQ(make_alert_id("x", "123", "nl.death", "sha256:0123456789abcdef"), "cc829bc59d98a8b992a6119a2eb73ad4");
}

TEST(AlertId, DeterministicAnd32LowerHex) {
  const std::string id = make_alert_id("x", "123", "nl.death", "sha256:0123456789abcdef");
  EXPECT_EQ(id, make_alert_id("x", "123", "nl.death", "sha256:0123456789abcdef"));
  EXPECT_EQ(id.size(), 32U);
  EXPECT_TRUE(is_lower_hex(id)) << id;
  const std::string empty = make_alert_id("", "", "", "");
  EXPECT_EQ(empty.size(), 32U);
  EXPECT_TRUE(is_lower_hex(empty));
}

TEST(AlertId, DiffersWhenAnyInputDiffers) {
  const std::string id = make_alert_id("x", "123", "nl.death", "sha256:0123456789abcdef");
  EXPECT_NE(id, make_alert_id("mastodon", "123", "nl.death", "sha256:0123456789abcdef"));
  EXPECT_NE(id, make_alert_id("x", "124", "nl.death", "sha256:0123456789abcdef"));
  EXPECT_NE(id, make_alert_id("x", "123", "nl.death2", "sha256:0123456789abcdef"));
  EXPECT_NE(id, make_alert_id("x", "123", "nl.death", "sha256:0123456789abcdee"));
  // Shifting a boundary between inputs changes the id.
  EXPECT_NE(make_alert_id("x1", "23", "r", "p"), make_alert_id("x", "123", "r", "p"));
  EXPECT_NE(make_alert_id("x", "123r", "", "p"), make_alert_id("x", "123", "r", "p"));
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(make_alert_id("x", std::to_string(i), "r", "p"));
  EXPECT_EQ(ids.size(), 1000U);
}

// --- append_alert_json -------------------------------------------------------

TEST(AlertJson, IsValidJsonWithAllFields) {
  const Alert a = sample_alert();
  const std::string json = to_json(a);
  EXPECT_EQ(json.find('\n'), std::string::npos) << "one line";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  simdjson::dom::object object;
  ASSERT_EQ(doc.get_object().get(object), simdjson::SUCCESS);
  EXPECT_EQ(keys_of(object),
            (std::set<std::string>{"alert_id", "post_id", "platform", "url", "created_at", "detected_at", "lang",
                                   "severity", "category", "rule", "rule_rev", "rule_description", "pattern_set",
                                   "targets", "matches", "excerpt", "excerpt_start"}));
  EXPECT_EQ(get_string(doc, "alert_id"), a.alert_id);
  EXPECT_EQ(get_string(doc, "post_id"), "123");
  EXPECT_EQ(get_string(doc, "platform"), "x");
  EXPECT_EQ(get_string(doc, "url"), "https://x.example/p/123");
  EXPECT_EQ(get_string(doc, "created_at"), "2026-11-20T09:15:00Z");
  EXPECT_EQ(get_string(doc, "detected_at"), "2026-11-20T09:15:01.234Z");
  EXPECT_EQ(get_string(doc, "lang"), "nl");
  EXPECT_EQ(get_string(doc, "severity"), "critical");
  EXPECT_EQ(get_string(doc, "category"), "death_threat");
  EXPECT_EQ(get_string(doc, "rule"), "nl.death.kill_target");
  EXPECT_EQ(get_int(doc, "rule_rev"), 3);
  EXPECT_EQ(get_string(doc, "rule_description"), a.rule_description);
  EXPECT_EQ(get_string(doc, "pattern_set"), "sha256:0123456789abcdef");
  EXPECT_EQ(get_string(doc, "excerpt"), a.excerpt);
  EXPECT_EQ(get_int(doc, "excerpt_start"), 5);
}

TEST(AlertJson, TargetsWithAndWithoutId) {
  const std::string json = to_json(sample_alert());
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  simdjson::dom::array targets;
  ASSERT_EQ(doc["targets"].get_array().get(targets), simdjson::SUCCESS);
  ASSERT_EQ(targets.size(), 2U);

  simdjson::dom::object person;
  ASSERT_EQ(targets.at(0).get_object().get(person), simdjson::SUCCESS);
  EXPECT_EQ(keys_of(person), (std::set<std::string>{"id", "name", "role"}));
  EXPECT_EQ(get_string(targets.at(0).value_unsafe(), "id"), "p-001");
  EXPECT_EQ(get_string(targets.at(0).value_unsafe(), "name"), "Jan Jansen");
  EXPECT_EQ(get_string(targets.at(0).value_unsafe(), "role"), "minister");

  simdjson::dom::object role;
  ASSERT_EQ(targets.at(1).get_object().get(role), simdjson::SUCCESS);
  EXPECT_EQ(keys_of(role), (std::set<std::string>{"role"}));
  EXPECT_EQ(get_string(targets.at(1).value_unsafe(), "role"), "journalist");
}

TEST(AlertJson, MatchesWithDecodedNames) {
  const Alert a = sample_alert();
  const std::string json = to_json(a);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  simdjson::dom::array matches;
  ASSERT_EQ(doc["matches"].get_array().get(matches), simdjson::SUCCESS);
  ASSERT_EQ(matches.size(), 2U);

  const simdjson::dom::element first = matches.at(0).value_unsafe();
  simdjson::dom::object first_object;
  ASSERT_EQ(first.get_object().get(first_object), simdjson::SUCCESS);
  EXPECT_EQ(keys_of(first_object), (std::set<std::string>{"rule", "kind", "start", "end", "text", "decoded"}));
  EXPECT_EQ(get_string(first, "rule"), "nl.death.kill");
  EXPECT_EQ(get_string(first, "kind"), "threat");
  EXPECT_EQ(get_int(first, "start"), 0);
  EXPECT_EQ(get_int(first, "end"), 9);
  EXPECT_EQ(get_string(first, "text"), a.matches[0].text);
  simdjson::dom::array decoded;
  ASSERT_EQ(first["decoded"].get_array().get(decoded), simdjson::SUCCESS);
  std::vector<std::string> names;
  for (const auto step : decoded) {
    std::string_view name;
    ASSERT_EQ(step.get_string().get(name), simdjson::SUCCESS);
    names.emplace_back(name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"unicode", "leet"}));

  const simdjson::dom::element second = matches.at(1).value_unsafe();
  EXPECT_EQ(get_string(second, "kind"), "target");
  EXPECT_EQ(get_int(second, "start"), 14);
  EXPECT_EQ(get_int(second, "end"), 22);
  simdjson::dom::array none;
  ASSERT_EQ(second["decoded"].get_array().get(none), simdjson::SUCCESS);
  EXPECT_EQ(none.size(), 0U);
}

TEST(AlertJson, AllDecodeStepsInFixedOrder) {
  Alert a = sample_alert();
  a.matches[0].decoded = 0x3F;
  const std::string json = to_json(a);
  EXPECT_NE(json.find(R"("decoded":["unicode","invisible","leet","spacing","repeat","homoglyph"])"), std::string::npos)
      << json;
}

TEST(AlertJson, AuthorRefOnlyWhenSet) {
  Alert a = sample_alert();
  EXPECT_EQ(to_json(a).find("author_ref"), std::string::npos);

  const AuthorPseudonymizer pseudonymizer("0123456789abcdef", 24);
  a.author_ref = pseudonymizer.pseudonym("x", kAuthorId, 1795166100000).value_or("");
  ASSERT_FALSE(a.author_ref.empty());
  const std::string json = to_json(a);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  EXPECT_EQ(get_string(doc, "author_ref"), a.author_ref);
  // The author never appears in clear, under any key.
  EXPECT_EQ(json.find(kAuthorId), std::string::npos) << json;
  EXPECT_EQ(json.find("author_id"), std::string::npos) << json;
  EXPECT_EQ(json.find("\"author\""), std::string::npos) << json;
}

TEST(AlertJson, LangOmittedWhenEmpty) {
  Alert a = sample_alert();
  a.lang.clear();
  const std::string json = to_json(a);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;
  EXPECT_EQ(doc["lang"].error(), simdjson::NO_SUCH_FIELD);
}

TEST(AlertJson, SeverityNames) {
  Alert a = sample_alert();
  for (const auto& [severity, text] : std::vector<std::pair<Severity, std::string>>{
           {Severity::kCritical, "critical"}, {Severity::kHigh, "high"}, {Severity::kMedium, "medium"},
           {Severity::kLow, "low"}}) {
    a.severity = severity;
    EXPECT_NE(to_json(a).find("\"severity\":\"" + text + "\""), std::string::npos) << text;
  }
}

TEST(AlertJson, LineSeparatorsNeverAppearRaw) {
  const std::string json = to_json(sample_alert());
  EXPECT_EQ(json.find("\xE2\x80\xA8"), std::string::npos);
  EXPECT_NE(json.find("\\u2028"), std::string::npos);
}

TEST(AlertJson, AppendsAndLargeOffsets) {
  Alert a = sample_alert();
  a.excerpt_start = UINT32_MAX;
  a.matches[0].start = UINT32_MAX - 1;
  a.matches[0].end = UINT32_MAX;
  std::string out = "x";
  append_alert_json(a, out);
  ASSERT_EQ(out[0], 'x');
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(out.substr(1)).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(get_int(doc, "excerpt_start"), std::int64_t{UINT32_MAX});
  EXPECT_EQ(get_int(doc["matches"].at(0).value_unsafe(), "end"), std::int64_t{UINT32_MAX});
}

TEST(AlertJson, NoTargetsNoMatches) {
  Alert a = sample_alert();
  a.targets.clear();
  a.matches.clear();
  const std::string json = to_json(a);
  EXPECT_NE(json.find(R"("targets":[],"matches":[],"excerpt")"), std::string::npos) << json;
}

// --- choose_excerpt ----------------------------------------------------------

TEST(Excerpt, ShortTextIsReturnedWhole) {
  const std::string text = "kort bericht";
  const ExcerptSpan span = choose_excerpt(text, 2, 5, 280);
  EXPECT_EQ(span.start, 0U);
  EXPECT_EQ(span.length, text.size());
  const std::string exact(280, 'a');
  const ExcerptSpan whole = choose_excerpt(exact, 100, 110, 280);
  EXPECT_EQ(whole.start, 0U);
  EXPECT_EQ(whole.length, 280U);
  EXPECT_EQ(choose_excerpt("", 0, 0, 280).length, 0U);
}

TEST(Excerpt, LongAsciiTextContainsTheEvidence) {
  std::string text;
  for (int i = 0; text.size() < 2000; ++i) text += "woord" + std::to_string(i) + " ";
  const auto size = static_cast<std::uint32_t>(text.size());
  for (std::uint32_t from = 0; from + 10 <= size; from += 37) {
    for (const std::uint32_t width : {0U, 1U, 10U, 100U, 279U}) {
      const std::uint32_t to = std::min(from + width, size);
      const ExcerptSpan span = choose_excerpt(text, from, to, kExcerptMaxBytes);
      ASSERT_LE(span.length, kExcerptMaxBytes) << from << "," << to;
      ASSERT_LE(span.start, from) << from << "," << to;
      ASSERT_GE(span.start + span.length, to) << from << "," << to;
      ASSERT_LE(std::size_t{span.start} + span.length, text.size());
    }
  }
}

TEST(Excerpt, PrefersWordBoundaries) {
  // Words of four letters and a space: "aaaa bbbb cccc ...".
  std::string text;
  for (int i = 0; text.size() < 1000; ++i) text += std::string(4, static_cast<char>('a' + i % 26)) + " ";
  const ExcerptSpan span = choose_excerpt(text, 500, 504, 100);
  ASSERT_GT(span.start, 0U);
  EXPECT_EQ(text[span.start - 1], ' ') << "starts at a word";
  EXPECT_NE(text[span.start], ' ');
  const std::size_t end = std::size_t{span.start} + span.length;
  ASSERT_LT(end, text.size());
  EXPECT_EQ(text[end], ' ') << "ends at a word";
  EXPECT_LE(span.start, 500U);
  EXPECT_GE(end, 504U);
  EXPECT_LE(span.length, 100U);
}

TEST(Excerpt, EvidenceNearTheEdges) {
  const std::string text(1000, 'x');
  const ExcerptSpan head = choose_excerpt(text, 0, 5, 280);
  EXPECT_EQ(head.start, 0U);
  EXPECT_EQ(head.length, 280U);
  const ExcerptSpan tail = choose_excerpt(text, 995, 1000, 280);
  EXPECT_EQ(tail.start + tail.length, 1000U);
  EXPECT_EQ(tail.length, 280U);
}

TEST(Excerpt, SpanLongerThanMaxStartsAtFrom) {
  std::string text;
  for (int i = 0; text.size() < 3000; ++i) text += "lang woord ";
  const ExcerptSpan span = choose_excerpt(text, 403, 1500, 280);
  EXPECT_EQ(span.start, 403U);
  EXPECT_EQ(span.length, 280U);
  const ExcerptSpan exact = choose_excerpt(text, 100, 380, 280);
  EXPECT_EQ(exact.start, 100U);
  EXPECT_EQ(exact.length, 280U);
}

TEST(Excerpt, OutOfRangeOffsetsAreClamped) {
  const std::string text(1000, 'y');
  const ExcerptSpan span = choose_excerpt(text, 5000, 6000, 280);
  EXPECT_LE(span.length, 280U);
  EXPECT_LE(std::size_t{span.start} + span.length, text.size());
  const ExcerptSpan reversed = choose_excerpt(text, 600, 500, 280);
  EXPECT_LE(reversed.length, 280U);
  EXPECT_LE(std::size_t{reversed.start} + reversed.length, text.size());
}

TEST(Excerpt, NeverSplitsACodePoint) {
  // 2-, 3- and 4-byte characters with and without spaces between them, so
  // every possible window edge falls inside a character somewhere.
  std::string text;
  const char* pieces[] = {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "a", "\xD0\x96", " ", "\xE4\xB8\xAD",
                          "\xF0\x9F\x94\xA5"};
  for (int i = 0; text.size() < 1500; ++i) text += pieces[(i * 7 + i / 3) % 8];
  std::vector<std::uint32_t> boundaries;
  for (std::uint32_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || !is_continuation(text[i])) boundaries.push_back(i);
  }
  int checked = 0;
  for (const std::uint32_t max : {7U, 16U, 50U, 280U}) {
    for (std::size_t bi = 0; bi < boundaries.size(); bi += 3) {
      for (const std::size_t len : {0U, 1U, 2U, 5U, 40U, 400U}) {
        const std::uint32_t from = boundaries[bi];
        const std::uint32_t to = boundaries[std::min(bi + len, boundaries.size() - 1)];
        const ExcerptSpan span = choose_excerpt(text, from, to, max);
        ASSERT_TRUE(on_boundaries(text, span)) << "from " << from << " to " << to << " max " << max << " -> "
                                               << span.start << "+" << span.length;
        ASSERT_LE(span.length, max);
        if (to - from >= max) {
          EXPECT_EQ(span.start, from) << from << "," << to << "," << max;
        } else {
          EXPECT_LE(span.start, from) << from << "," << to << "," << max;
          EXPECT_GE(span.start + span.length, to) << from << "," << to << "," << max;
        }
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 1000);
}

TEST(Excerpt, NeverSplitsACodePointAtAnyOffset) {
  // Offsets that are themselves inside a character (callers may pass them).
  std::string text;
  while (text.size() < 900) text += "\xF0\x9F\x98\x80\xE2\x82\xAC";
  for (std::uint32_t from = 0; from < text.size(); from += 1) {
    const ExcerptSpan span = choose_excerpt(text, from, from + 3, 100);
    ASSERT_TRUE(on_boundaries(text, span)) << from << " -> " << span.start << "+" << span.length;
    ASSERT_LE(span.length, 100U);
  }
}

TEST(Excerpt, TinyWindowNeverExceedsMaxOrTheText) {
  // max_bytes smaller than one character, evidence offset inside a character:
  // the span must still be within the text and no longer than max_bytes.
  std::string text;
  while (text.size() < 1200) text += "\xF0\x9F\x98\x80";
  for (const std::uint32_t max : {1U, 2U, 3U}) {
    for (std::uint32_t from = 0; from < 8; ++from) {
      const ExcerptSpan span = choose_excerpt(text, from, from + 1, max);
      EXPECT_LE(span.length, max) << "from " << from << " max " << max << " -> " << span.start << "+" << span.length;
      EXPECT_LE(std::size_t{span.start} + span.length, text.size())
          << "from " << from << " max " << max << " -> " << span.start << "+" << span.length;
    }
  }
}
