// Hostile input through the whole path. Every case ends in one of two ways:
//  - a clear refusal: the parser's reason, and through `wachtpost scan` the
//    place (file:line or <stdin>:line) with the lines after it still
//    processed; or
//  - correct processing: parse, normalise, scan and rules (PostProcessor),
//    with the threat found where there is one and its highlight offsets
//    pointing at the right bytes of the original text.
// The big cases also run `wachtpost scan` as a child process whose peak
// memory (ru_maxrss) and time are measured: bounded memory against the same
// binary's baseline on a tiny input, and a generous time limit that only
// catches hangs and quadratic blow-ups (it is no speed claim), plus a
// scaling check where it is cheap (twice the input, at most four times the
// CPU time).

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cli/pattern_source.hpp"
#include "ingest/post_parser.hpp"
#include "normalize/normalizer.hpp"
#include "runtime/post_processor.hpp"

extern char** environ;

namespace wachtpost {
namespace {

namespace fs = std::filesystem;

const std::string kSource = WACHTPOST_SOURCE_DIR;
const std::string kRules = kSource + "/tests/data/scan/rules";
const std::string kRegistry = kSource + "/tests/data/scan/registry.yaml";

// Sanitised builds run these tests too: slower, and with more memory per
// allocation (shadow memory, redzones, the quarantine of freed blocks).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif
constexpr double kSlowdown = kSanitized ? 6.0 : 1.0;
constexpr double kMemoryFactor = kSanitized ? 3.0 : 1.0;

// A hang or quadratic guard, not a speed claim: the cases below take well
// under a second each in a normal build.
constexpr double kTimeLimitSeconds = 20.0 * kSlowdown;
// Peak memory may grow by this much beyond the baseline, plus a multiple of
// the input for posts that are processed: the normalised text keeps 10
// bytes per byte of text (the text, two 32-bit source offsets and the decode
// steps), the parser and the line buffer a few more.
constexpr double kMarginMb = 64.0 * kMemoryFactor;
constexpr double kBytesPerInputByte = 16.0 * kMemoryFactor;

constexpr std::size_t kMiB = std::size_t{1} << 20;

// --- building posts ---------------------------------------------------------

std::string json_string(std::string_view text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

// One post line; `text_json` is the raw JSON value of "text".
std::string post_with_raw_text(std::string_view id, std::string_view text_json) {
  std::string line = R"({"id":")" + std::string(id) + R"(","platform":"x","url":"https://x.example/)" +
                     std::string(id) +
                     R"(","created_at":"2026-11-20T10:00:00Z","lang":"nl","visibility":"public","text":)";
  line += text_json;
  line += '}';
  return line;
}

std::string post(std::string_view id, std::string_view text) {
  return post_with_raw_text(id, json_string(text));
}

std::string repeat(std::string_view piece, std::size_t times) {
  std::string out;
  out.reserve(piece.size() * times);
  for (std::size_t i = 0; i < times; ++i) out += piece;
  return out;
}

constexpr std::string_view kThreat = "die rechter afmaken";  // fx.nl.kill: target "rechter", threat "afmaken"
constexpr std::string_view kCombiningAcute = "\xCC\x81";     // U+0301
constexpr std::string_view kFire = "\xF0\x9F\x94\xA5";       // U+1F525, 4 bytes
constexpr std::string_view kRlo = "\xE2\x80\xAE";            // U+202E RIGHT-TO-LEFT OVERRIDE
constexpr std::string_view kPdf = "\xE2\x80\xAC";            // U+202C POP DIRECTIONAL FORMATTING

// --- the whole path in process -----------------------------------------------

const std::shared_ptr<const PatternSet>& fixture_set() {
  static const std::shared_ptr<const PatternSet> set = load_pattern_set({kRules, kRegistry, {}});
  return set;
}

struct Processed {
  ParseOutcome outcome = ParseOutcome::kRejected;
  ParseFailure failure;
  std::string text;  // the post's text, copied (the parser's views die with it)
  std::vector<Alert> alerts;
  bool scan_complete = true;
  double seconds = 0;
};

Processed process(std::string_view line, ParseLimits limits = {}) {
  const auto started = std::chrono::steady_clock::now();
  Processed result;
  PostParser parser(limits);
  Post post;
  result.outcome = parser.parse_copy(line, post, result.failure);
  if (result.outcome == ParseOutcome::kPost) {
    result.text = std::string(post.text);
    PostProcessor processor;
    processor.process(fixture_set(), post, "2026-11-20T10:00:01.000Z", result.alerts);
    result.scan_complete = processor.last_scan_complete();
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

std::string reason_of(const Processed& p) {
  return p.outcome == ParseOutcome::kRejected ? std::string(reject_reason_name(p.failure.reason)) : "(accepted)";
}

// Every highlight and the excerpt are the original bytes at their offsets.
void expect_offsets_into_original(const Alert& alert, std::string_view text) {
  for (const auto& match : alert.matches) {
    ASSERT_LE(match.start, match.end);
    ASSERT_LE(match.end, text.size());
    EXPECT_EQ(text.substr(match.start, match.end - match.start), match.text) << alert.rule;
  }
  ASSERT_LE(std::size_t{alert.excerpt_start} + alert.excerpt.size(), text.size());
  EXPECT_EQ(text.substr(alert.excerpt_start, alert.excerpt.size()), alert.excerpt);
}

const AlertMatch* first_match(const Alert& alert, std::string_view kind) {
  for (const auto& match : alert.matches) {
    if (match.kind == kind) return &match;
  }
  return nullptr;
}

// The one fx.nl.kill alert of a processed post, with its threat and target
// highlights where expected (offsets into the original text).
void expect_kill_alert(const Processed& p, std::uint32_t target_start, std::uint32_t threat_start,
                       std::string_view decoded = {}) {
  ASSERT_EQ(p.outcome, ParseOutcome::kPost) << reason_of(p) << ": " << p.failure.detail;
  ASSERT_EQ(p.alerts.size(), 1U);
  const Alert& alert = p.alerts.front();
  EXPECT_EQ(alert.rule, "fx.nl.kill");
  expect_offsets_into_original(alert, p.text);
  const AlertMatch* target = first_match(alert, "target");
  const AlertMatch* threat = first_match(alert, "threat");
  ASSERT_NE(target, nullptr);
  ASSERT_NE(threat, nullptr);
  EXPECT_EQ(target->start, target_start);
  EXPECT_EQ(threat->start, threat_start);
  if (!decoded.empty()) {
    const auto names = decode_step_names(static_cast<std::uint8_t>(target->decoded | threat->decoded));
    EXPECT_NE(std::find(names.begin(), names.end(), decoded), names.end()) << decoded;
  }
}

void expect_no_alert(const Processed& p) {
  ASSERT_EQ(p.outcome, ParseOutcome::kPost) << reason_of(p) << ": " << p.failure.detail;
  EXPECT_TRUE(p.alerts.empty());
  EXPECT_LT(p.seconds, kTimeLimitSeconds);
}

// --- refusals ------------------------------------------------------------------

struct Refusal {
  std::string name;
  std::string line;
  std::string reason;
  std::string detail;  // a part of the failure's detail; empty: any
};

std::vector<Refusal> refusals() {
  const std::string base = post("r", kThreat);
  const std::string prefix = base.substr(0, base.find(R"("text":)"));  // up to and with the comma before "text"
  auto with_text = [&](std::string_view raw) { return prefix + R"("text":)" + std::string(raw) + "}"; };
  auto with_text_bytes = [&](std::string_view bytes) { return with_text("\"" + std::string(bytes) + "\""); };
  auto with_field = [&](std::string_view key, std::string_view raw) {
    return base.substr(0, base.size() - 1) + ",\"" + std::string(key) + "\":" + std::string(raw) + "}";
  };
  std::vector<Refusal> cases{
      // Size: the limit is checked before parsing anything.
      {"ten_mb_line", post("r", repeat("x", 10 * kMiB)), "too_large", "exceeds the limit of 1048576"},
      {"two_million_emoji", post("r", repeat(kFire, 2'000'000)), "too_large", ""},
      // Nesting, in a field the parser skips, in the author it walks, in the
      // text's place, and never closed.
      {"deep_arrays_in_unknown_field", with_field("extra", repeat("[", 100'000) + repeat("]", 100'000)), "too_deep",
       "deeper than 32"},
      {"deep_objects_in_author", with_field("author", repeat(R"({"a":)", 1000) + "1" + repeat("}", 1000)), "too_deep",
       ""},
      {"deep_array_as_text", with_text(repeat("[", 64) + repeat("]", 64)), "too_deep", ""},
      {"million_open_brackets", repeat("[", 1'000'000), "too_deep", ""},
      // NUL bytes: raw inside a string, between tokens, after the object, alone.
      {"raw_nul_in_text", with_text_bytes(std::string("die rechter af\0maken", 20)), "not_json", "unescaped"},
      {"raw_nul_between_tokens", std::string("{\"id\":\"r\",\0\"platform\":\"x\"}", 27), "not_json", ""},
      {"raw_nul_after_object", base + std::string(1, '\0'), "not_json", "after the post object"},
      {"only_nul_bytes", std::string(100, '\0'), "not_json", ""},
      // Overlong encodings, surrogates, beyond U+10FFFF, broken sequences.
      {"overlong_nul_c0_80", with_text_bytes("a\xC0\x80z"), "invalid_utf8", ""},
      {"overlong_slash_c1_bf", with_text_bytes("a\xC1\xBFz"), "invalid_utf8", ""},
      {"overlong_e0_80_80", with_text_bytes("a\xE0\x80\x80z"), "invalid_utf8", ""},
      {"overlong_e0_9f_bf", with_text_bytes("a\xE0\x9F\xBFz"), "invalid_utf8", ""},
      {"overlong_f0_80_80_80", with_text_bytes("a\xF0\x80\x80\x80z"), "invalid_utf8", ""},
      {"surrogate_d800_in_utf8", with_text_bytes("a\xED\xA0\x80z"), "invalid_utf8", ""},
      {"surrogate_dfff_in_utf8", with_text_bytes("a\xED\xBF\xBFz"), "invalid_utf8", ""},
      {"cesu8_surrogate_pair", with_text_bytes("a\xED\xA0\xBD\xED\xB8\x80z"), "invalid_utf8", ""},
      {"beyond_u10ffff", with_text_bytes("a\xF4\x90\x80\x80z"), "invalid_utf8", ""},
      {"five_byte_sequence", with_text_bytes("a\xF8\x88\x80\x80\x80z"), "invalid_utf8", ""},
      {"byte_ff", with_text_bytes("a\xFFz"), "invalid_utf8", ""},
      {"lone_continuation_byte", with_text_bytes("a\x80z"), "invalid_utf8", ""},
      {"sequence_cut_short", with_text_bytes("a\xE2\x82"), "invalid_utf8", ""},
      {"invalid_utf8_in_a_key", with_field("k\xC0\x80", "1"), "invalid_utf8", ""},
      {"invalid_utf8_in_an_ignored_field", with_field("extra", "\"\xED\xA0\x80\""), "invalid_utf8", ""},
      // Escapes: lone surrogates, unknown escapes, short \u.
      {"escaped_lone_high_surrogate", with_text(R"("a\ud800b")"), "not_json", ""},
      {"escaped_lone_low_surrogate", with_text(R"("a\udc00b")"), "not_json", ""},
      {"escaped_high_surrogate_then_letter", with_text(R"("a\ud800\u0041")"), "not_json", ""},
      {"escaped_high_surrogate_at_end", with_text(R"("a\ud83d")"), "not_json", ""},
      {"escape_x", with_text(R"("a\x41")"), "not_json", ""},
      {"escape_bad_hex", with_text(R"("a\u12G4")"), "not_json", ""},
      {"escape_short_u", with_text(R"("a\u00")"), "not_json", ""},
      {"escape_single_quote", with_text(R"("a\'b")"), "not_json", ""},
      // A byte order mark before the object.
      {"byte_order_mark", "\xEF\xBB\xBF" + base, "not_json", "byte order mark"},
      {"only_a_byte_order_mark", "\xEF\xBB\xBF", "not_json", "byte order mark"},
      // Duplicate keys: never the first or the last one silently.
      {"text_twice", with_field("text", "\"ander\""), "duplicate_key", "'text'"},
      {"visibility_public_then_private", with_field("visibility", "\"private\""), "duplicate_key", "'visibility'"},
      {"id_twice_escaped", with_field("\\u0069d", "\"s\""), "duplicate_key", "'id'"},
      {"author_id_twice", with_field("author", R"({"id":"a","id":"b"})"), "duplicate_key", "'author.id'"},
      // Numbers, objects, arrays, null and booleans where strings belong.
      {"text_number", with_text("42"), "wrong_type", "'text'"},
      {"text_huge_number", with_text("1e999999"), "wrong_type", "'text'"},
      {"text_negative_zero", with_text("-0"), "wrong_type", "'text'"},
      {"text_true", with_text("true"), "wrong_type", "'text'"},
      {"text_null", with_text("null"), "wrong_type", "'text'"},
      {"text_object", with_text(R"({"text":"die rechter afmaken"})"), "wrong_type", "'text'"},
      {"text_array", with_text(R"(["die rechter afmaken"])"), "wrong_type", "'text'"},
      {"text_empty_array", with_text("[]"), "wrong_type", "'text'"},
      {"author_string", with_field("author", "\"someone\""), "wrong_type", "'author'"},
      {"author_id_array", with_field("author", R"({"id":[1]})"), "wrong_type", "'author.id'"},
      {"post_is_array", "[" + base + "]", "not_json", ""},
      {"post_is_string", json_string(base), "not_json", ""},
      {"post_is_null", "null", "not_json", ""},
      // Cut short after a huge value, and garbage after a good post.
      {"cut_inside_huge_text", base.substr(0, base.size() - 2) + repeat("a", 500'000), "truncated", ""},
      {"second_document_on_the_line", base + base, "not_json", ""},
  };
  return cases;
}

TEST(HostileInput, EachHostileDocumentIsRefusedWithItsReason) {
  for (const auto& c : refusals()) {
    SCOPED_TRACE(c.name);
    const Processed p = process(c.line);
    ASSERT_EQ(p.outcome, ParseOutcome::kRejected) << c.name << " was accepted";
    EXPECT_EQ(reject_reason_name(p.failure.reason), c.reason) << c.name << ": " << p.failure.detail;
    EXPECT_FALSE(p.failure.detail.empty());
    if (!c.detail.empty()) {
      EXPECT_NE(p.failure.detail.find(c.detail), std::string::npos) << p.failure.detail;
    }
    // The detail names the problem, never the content.
    EXPECT_EQ(p.failure.detail.find("rechter"), std::string::npos) << p.failure.detail;
    EXPECT_LT(p.failure.detail.size(), 200U);
    EXPECT_LT(p.seconds, kTimeLimitSeconds);
  }
}

// simdjson On-Demand does not validate the values of fields it skips (an
// unknown field): such a line may be refused as not_json or accepted, but
// never read wrongly. Whichever: the known fields are exactly what was sent.
TEST(HostileInput, MalformedValuesInIgnoredFieldsNeverCorruptTheKnownOnes) {
  for (const std::string_view raw :
       {"tru", "nul", "[1,,2]", R"({"a" 1})", R"({"a":1,})", "01", "1.", "+1", "NaN", R"("\q")", "-"}) {
    SCOPED_TRACE(raw);
    const std::string line = post("m", kThreat).insert(1, R"("meta":)" + std::string(raw) + ",");
    const Processed p = process(line);
    if (p.outcome == ParseOutcome::kRejected) {
      EXPECT_EQ(reject_reason_name(p.failure.reason), "not_json") << p.failure.detail;
      continue;
    }
    expect_kill_alert(p, 4, 12);
  }
}

// --- processed through the whole path -------------------------------------------

TEST(HostileInput, ThreatAfterAHundredThousandCombiningMarksIsFoundAtItsOriginalOffset) {
  // 'a' + 100k U+0301: one cluster of 200 KB, normalised to "a".
  const std::string flood = "a" + repeat(kCombiningAcute, 100'000);
  const std::string text = flood + " " + std::string(kThreat);
  const auto start = static_cast<std::uint32_t>(flood.size() + 1);
  expect_kill_alert(process(post("c", text)), start + 4, start + 12);
  expect_no_alert(process(post("c", flood)));
}

TEST(HostileInput, CombiningFloodOnTheThreatWordIsPartOfItsHighlight) {
  const std::string text = std::string(kThreat) + repeat(kCombiningAcute, 100'000);
  const Processed p = process(post("c", text));
  expect_kill_alert(p, 4, 12, "unicode");
  ASSERT_EQ(p.alerts.size(), 1U);
  const AlertMatch* threat = first_match(p.alerts.front(), "threat");
  ASSERT_NE(threat, nullptr);
  EXPECT_EQ(threat->end, text.size()) << "the stripped marks belong to the letter they sit on";
}

TEST(HostileInput, ZalgoTextStillMatches) {
  std::string text;
  for (const char c : kThreat) text += std::string(1, c) + repeat("\xCC\x81\xCC\x88\xCC\xA7", 20);
  const Processed p = process(post("z", text));
  ASSERT_EQ(p.alerts.size(), 1U);
  expect_offsets_into_original(p.alerts.front(), p.text);
}

TEST(HostileInput, DirectionalOverridesAreInvisibleAndHighlighted) {
  // "die <RLO>rechter<PDF> af<LRI>maken<PDI>"
  const std::string text =
      "die " + std::string(kRlo) + "rechter" + std::string(kPdf) + " af\xE2\x81\xA7maken\xE2\x81\xA9";
  expect_kill_alert(process(post("d", text)), 4, 4 + 3 + 7 + 3 + 1, "invisible");
  // A hundred thousand overrides and nothing else.
  expect_no_alert(process(post("d", repeat(kRlo, 100'000))));
  expect_no_alert(process(post("d", repeat(std::string(kRlo) + "x" + std::string(kPdf), 50'000))));
}

TEST(HostileInput, HundredThousandCharacterWords) {
  const std::string word(100'000, 'x');
  const auto start = static_cast<std::uint32_t>(word.size() + 1);
  expect_kill_alert(process(post("w", word + " " + std::string(kThreat))), start + 4, start + 12);
  // Threat words glued into one long word are no whole words: nothing.
  expect_no_alert(process(post("w", repeat("afmaken", 15'000) + " rechter")));
  // One long non-ASCII word.
  expect_no_alert(process(post("w", repeat("\xC3\xA9", 100'000))));
}

TEST(HostileInput, ThreatAmidAHundredThousandEmoji) {
  const std::string fire = repeat(kFire, 100'000);
  const std::string text = fire + " " + std::string(kThreat) + " " + fire;
  const auto start = static_cast<std::uint32_t>(fire.size() + 1);
  expect_kill_alert(process(post("e", text)), start + 4, start + 12);
  expect_no_alert(process(post("e", fire)));
}

TEST(HostileInput, TwoMillionEmojiAreRefusedByTheDefaultLimitAndProcessedWithinARaisedOne) {
  const std::string half = repeat(kFire, 1'000'000);
  const std::string line = post("e2m", half + " " + std::string(kThreat) + " " + half);
  ASSERT_GT(line.size(), 8 * 1'000'000U);
  const Processed refused = process(line);
  ASSERT_EQ(refused.outcome, ParseOutcome::kRejected);
  EXPECT_EQ(reject_reason_name(refused.failure.reason), "too_large");
  ParseLimits raised;
  raised.max_document_bytes = 16 * kMiB;
  const auto start = static_cast<std::uint32_t>(half.size() + 1);
  const Processed p = process(line, raised);
  expect_kill_alert(p, start + 4, start + 12);
  EXPECT_LT(p.seconds, kTimeLimitSeconds);
}

TEST(HostileInput, EscapedNulBytesAreInvisibleInsideWordsAndHarmlessInFloods) {
  // "die rechter afm\u0000aken": the NUL is dropped, the highlight keeps it.
  const Processed p = process(post_with_raw_text("n", R"("die rechter afm\u0000aken")"));
  expect_kill_alert(p, 4, 12, "invisible");
  ASSERT_EQ(p.alerts.size(), 1U);
  ASSERT_NE(first_match(p.alerts.front(), "threat"), nullptr);
  EXPECT_EQ(first_match(p.alerts.front(), "threat")->text, std::string("afm\0aken", 8));
  // 100k escaped NULs before the threat: 600 KB of JSON, 100 KB of text.
  const Processed flood =
      process(post_with_raw_text("n", "\"" + repeat("\\u0000", 100'000) + " die rechter afmaken\""));
  expect_kill_alert(flood, 100'000 + 5, 100'000 + 13);
  expect_no_alert(process(post_with_raw_text("n", "\"" + repeat("\\u0000", 150'000) + "\"")));
}

TEST(HostileInput, ByteOrderMarksInsideTheTextAreInvisible) {
  expect_kill_alert(process(post("b", "die rech\xEF\xBB\xBFter afmaken")), 4, 15, "invisible");
  expect_no_alert(process(post("b", repeat("\xEF\xBB\xBF", 100'000))));
}

TEST(HostileInput, ZeroWidthCharactersBetweenEveryLetter) {
  std::string afmaken;
  for (const char c : std::string_view("afmaken")) afmaken += std::string(1, c) + repeat("\xE2\x80\x8B", 1000);
  expect_kill_alert(process(post("zw", "die rechter " + afmaken)), 4, 12, "invisible");
}

TEST(HostileInput, WhitespaceAndControlFloodsGiveNothing) {
  // Escaped as \u0009 and the like: 6 bytes of JSON each, so fewer fit the limit.
  expect_no_alert(process(post("ws", repeat("\t\n\r ", 50'000))));
  expect_no_alert(process(post("ws", repeat("\x01\x02\x7f", 75'000))));
  expect_no_alert(process(post("ws", repeat("\xE2\x80\xA8\xC2\x85", 100'000))));  // U+2028, NEL
}

// Thousands of threat and target words in one post: the evaluator compares
// them pairwise, which once cost hits x hits x text length (minutes).
TEST(HostileInput, DenseThreatsAndTargetsAreBoundedByTheHitLimit) {
  for (const std::string_view piece :
       {std::string_view("rechter afmaken "), std::string_view("\"rechter afmaken\" "),
        std::string_view("r3cht3r 4fm4k3n "), std::string_view("rechter afmaaaaaken "),
        std::string_view("r e c h t e r  a f m a k e n  "), std::string_view("rechter, hem afmaken. ")}) {
    SCOPED_TRACE(std::string(piece));
    const std::string text = repeat(piece, 900'000 / piece.size());
    const Processed p = process(post("dense", text));
    ASSERT_EQ(p.outcome, ParseOutcome::kPost) << p.failure.detail;
    ASSERT_EQ(p.alerts.size(), 1U);
    EXPECT_FALSE(p.scan_complete) << "the hit limit cut the scan short";
    expect_offsets_into_original(p.alerts.front(), p.text);
    EXPECT_LT(p.seconds, 10.0 * kSlowdown);
  }
}

TEST(HostileInput, HugeKeysFieldsAndNumbersAroundAGoodPost) {
  const std::string base = post("k", kThreat);
  const std::string long_key = "{\"" + std::string(100'000, 'k') + "\":1," + base.substr(1);
  expect_kill_alert(process(long_key), 4, 12);
  std::string many_fields = "{";
  for (int i = 0; i < 50'000; ++i) many_fields += "\"f" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  expect_kill_alert(process(many_fields + base.substr(1)), 4, 12);
  // A 100k-digit numeric author id is kept as written (it only feeds the pseudonym).
  const std::string author = base.substr(0, base.size() - 1) + R"(,"author":{"id":)" + std::string(100'000, '7') + "}}";
  expect_kill_alert(process(author), 4, 12);
}

// --- the CLI, measured --------------------------------------------------------

struct Measured {
  int exit_code = -1;
  bool timed_out = false;
  std::string out;
  std::string err;
  double max_rss_mb = 0;
  double wall_seconds = 0;
  double cpu_seconds = 0;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

class TempFolder {
 public:
  TempFolder() {
    std::string pattern = (fs::temp_directory_path() / "wachtpost-hostile-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

  std::string write(const std::string& name, const std::vector<std::string>& lines, bool final_newline = true) const {
    const std::string path = file(name);
    std::ofstream out(path, std::ios::binary);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      out << lines[i];
      if (i + 1 < lines.size() || final_newline) out << '\n';
    }
    return path;
  }

 private:
  fs::path path_;
};

// Runs the wachtpost binary with `args` (no shell), stdin from `stdin_path`
// or /dev/null, and measures it: wait4 gives the child's own peak RSS and CPU
// time. A child that outlives the time limit is killed.
Measured run_measured(const TempFolder& dir, const std::vector<std::string>& args, const std::string& stdin_path = "") {
  static int runs = 0;
  const std::string out_path = dir.file("out-" + std::to_string(runs));
  const std::string err_path = dir.file("err-" + std::to_string(runs++));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, stdin_path.empty() ? "/dev/null" : stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> argv_strings{WACHTPOST_BINARY};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);

  // Linux carries the high-water mark of the memory a process had before
  // execve into the new program's ru_maxrss, and a spawned child starts out
  // sharing this (test) process's memory: reset our peak to our current size
  // first ("5" resets it, Linux >= 4.0), so the child's figure is its own
  // (or, if we are bigger than it, ours now: the same floor for the
  // baseline, so comparisons stay valid).
  ::malloc_trim(0);  // freed heap back to the system first
  std::ofstream("/proc/self/clear_refs") << "5";

  Measured result;
  const auto started = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, WACHTPOST_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    ADD_FAILURE() << "cannot start " << WACHTPOST_BINARY << ": " << std::strerror(spawned);
    return result;
  }
  const auto deadline = started + std::chrono::duration<double>(kTimeLimitSeconds * 3);
  int status = 0;
  rusage usage{};
  for (;;) {
    const pid_t done = ::wait4(pid, &status, WNOHANG, &usage);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      ADD_FAILURE() << "wait4: " << std::strerror(errno);
      return result;
    }
    if (std::chrono::steady_clock::now() > deadline && !result.timed_out) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.max_rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  result.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  return result;
}

struct AlertSummary {
  std::string post_id;
  std::string rule;
  std::int64_t threat_start = -1;
  std::string threat_text;
};

std::vector<AlertSummary> alerts_of(const std::string& out) {
  std::vector<AlertSummary> alerts;
  simdjson::dom::parser parser;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    simdjson::dom::element alert;
    if (parser.parse(line).get(alert) != simdjson::SUCCESS) {
      ADD_FAILURE() << "not JSON: " << line.substr(0, 200);
      continue;
    }
    AlertSummary summary;
    summary.post_id = std::string(std::string_view(alert["post_id"]));
    summary.rule = std::string(std::string_view(alert["rule"]));
    for (auto match : alert["matches"].get_array()) {
      if (std::string_view(match["kind"]) != "threat") continue;
      summary.threat_start = std::int64_t(match["start"]);
      summary.threat_text = std::string(std::string_view(match["text"]));
      break;
    }
    alerts.push_back(std::move(summary));
  }
  return alerts;
}

std::vector<std::string> alerted_posts(const Measured& m) {
  std::vector<std::string> ids;
  for (const auto& a : alerts_of(m.out)) ids.push_back(a.post_id);
  return ids;
}

std::string describe(const Measured& m) {
  std::ostringstream text;
  text << "exit " << m.exit_code << ", peak RSS " << m.max_rss_mb << " MB, " << m.wall_seconds << " s wall, "
       << m.cpu_seconds << " s CPU\nstderr: " << m.err.substr(0, 2000);
  return text.str();
}

// The binary on a tiny input with the same flags: what the process costs
// before any hostile byte.
struct CliCase {
  std::vector<std::string> flags;  // besides the rules
  double baseline_mb = 0;
};

CliCase cli_case(const TempFolder& dir, std::vector<std::string> flags) {
  CliCase c;
  c.flags = {"scan", "--patterns", kRules};
  c.flags.insert(c.flags.end(), flags.begin(), flags.end());
  const std::string tiny = dir.write("tiny.ndjson", {post("tiny", kThreat)});
  std::vector<std::string> args = c.flags;
  args.push_back(tiny);
  const Measured baseline = run_measured(dir, args);
  EXPECT_EQ(baseline.exit_code, 0) << describe(baseline);
  c.baseline_mb = baseline.max_rss_mb;
  return c;
}

Measured scan_file(const TempFolder& dir, const CliCase& c, const std::string& path) {
  std::vector<std::string> args = c.flags;
  args.push_back(path);
  return run_measured(dir, args);
}

void expect_bounded(const Measured& m, const CliCase& c, double processed_input_bytes, const std::string& what) {
  EXPECT_FALSE(m.timed_out) << what << ": killed after " << kTimeLimitSeconds * 3 << " s";
  EXPECT_LT(m.wall_seconds, kTimeLimitSeconds) << what << ": " << describe(m);
  const double limit_mb = c.baseline_mb + kMarginMb + kBytesPerInputByte * processed_input_bytes / double(kMiB);
  EXPECT_LT(m.max_rss_mb, limit_mb) << what << ": baseline " << c.baseline_mb << " MB; " << describe(m);
  std::cout << "[ measured ] " << what << ": peak RSS " << m.max_rss_mb << " MB (baseline " << c.baseline_mb
            << " MB, limit " << limit_mb << " MB), " << m.wall_seconds << " s wall, " << m.cpu_seconds << " s CPU\n";
}

const std::string kGoodFirst = post("good-1", "iemand moet die rechter afmaken");
const std::string kGoodLast = post("good-3", "ik ga die burgemeester afmaken");

// good line, hostile line, good line: the hostile one is named by its
// place, and the one after it is still processed.
void expect_refused_at_line_2(const Measured& m, const std::string& place, const std::string& reason) {
  EXPECT_EQ(m.exit_code, 1) << describe(m);
  EXPECT_NE(m.err.find(place + ":2: rejected (" + reason + ")"), std::string::npos) << describe(m);
  EXPECT_EQ(alerted_posts(m), (std::vector<std::string>{"good-1", "good-3"})) << describe(m);
  EXPECT_LT(m.err.size(), 4000U) << "errors never echo the hostile content";
}

// The hostile files are written in a scope of their own: the strings are
// freed before the child starts, so this process's size stays below the
// child's baseline (see run_measured).

// Every refusal of the table above through `wachtpost scan`, in one file:
// each hostile line between two good ones, named by its line with the same
// reason, and every good line still alerts (a hostile line must not derail
// the batch it is parsed in).
TEST(HostileInputCli, EveryRefusalIsNamedByItsLineAndTheLinesAroundItAlert) {
  const TempFolder dir;
  const CliCase c = cli_case(dir, {});
  std::vector<std::pair<std::string, std::string>> expected;  // "FILE:LINE: rejected (reason)", case name
  std::vector<std::string> good_ids;
  std::string path;
  {
    std::vector<std::string> lines;
    const auto good = [&] {
      good_ids.push_back("good-" + std::to_string(lines.size() + 1));
      lines.push_back(post(good_ids.back(), "iemand moet die rechter afmaken"));
    };
    path = dir.file("all.ndjson");
    for (const auto& r : refusals()) {
      good();
      lines.push_back(r.line);
      expected.emplace_back(":" + std::to_string(lines.size()) + ": rejected (" + r.reason + ")", r.name);
    }
    good();
    dir.write("all.ndjson", lines);
  }
  const Measured m = scan_file(dir, c, path);
  EXPECT_EQ(m.exit_code, 1);
  for (const auto& [message, name] : expected) {
    EXPECT_NE(m.err.find(path + message), std::string::npos) << name << ": " << path << message << "\n" << m.err;
  }
  EXPECT_EQ(alerted_posts(m), good_ids) << m.err;
  EXPECT_NE(m.err.find(std::to_string(expected.size()) + " rejected"), std::string::npos) << m.err;
  expect_bounded(m, c, 0, std::to_string(expected.size()) + " hostile lines between good ones (refused)");
}

TEST(HostileInputCli, TenMegabyteLineIsRefusedWithoutBeingHeldInMemory) {
  const TempFolder dir;
  const CliCase c = cli_case(dir, {});
  std::string path;
  std::string last;
  {
    const std::string big = post("big", repeat("bla ", 10 * kMiB / 4) + std::string(kThreat));
    path = dir.write("big.ndjson", {kGoodFirst, big, kGoodLast});
    last = dir.write("last.ndjson", {kGoodFirst, kGoodLast, big}, false);
  }
  const Measured m = scan_file(dir, c, path);
  expect_refused_at_line_2(m, path, "too_large");
  expect_bounded(m, c, 0, "10 MB line, default limit (refused)");

  // The same from standard input, and as the last line without a newline.
  std::vector<std::string> args = c.flags;
  args.emplace_back("-");
  const Measured from_stdin = run_measured(dir, args, path);
  expect_refused_at_line_2(from_stdin, "<stdin>", "too_large");
  expect_bounded(from_stdin, c, 0, "10 MB line on stdin (refused)");

  const Measured at_end = scan_file(dir, c, last);
  EXPECT_NE(at_end.err.find(last + ":3: rejected (too_large)"), std::string::npos) << describe(at_end);
  EXPECT_EQ(alerted_posts(at_end), (std::vector<std::string>{"good-1", "good-3"}));
  expect_bounded(at_end, c, 0, "10 MB last line without newline (refused)");
}

TEST(HostileInputCli, TenMegabyteLineWithinARaisedLimitIsProcessedAndScalesLinearly) {
  const TempFolder dir;
  const CliCase c = cli_case(dir, {"--max-post-bytes", std::to_string(16 * kMiB)});
  std::vector<Measured> runs;
  for (const std::size_t bytes : {5 * kMiB, 10 * kMiB}) {
    const std::size_t filler = bytes / 4 * 4;  // "bla " repeated
    const std::string path =
        dir.write("big.ndjson", {kGoodFirst, post("big", repeat("bla ", bytes / 4) + std::string(kThreat)), kGoodLast});
    const Measured m = scan_file(dir, c, path);
    EXPECT_EQ(m.exit_code, 0) << describe(m);
    const auto alerts = alerts_of(m.out);
    ASSERT_EQ(alerts.size(), 3U) << describe(m);
    EXPECT_EQ(alerts[1].post_id, "big");
    EXPECT_EQ(alerts[1].threat_start, std::int64_t(filler + 12));
    EXPECT_EQ(alerts[1].threat_text, "afmaken");
    expect_bounded(m, c, double(bytes), std::to_string(bytes / kMiB) + " MB line, raised limit (processed)");
    runs.push_back(m);
  }
  EXPECT_LT(runs[1].cpu_seconds, 4 * runs[0].cpu_seconds + 0.5 * kSlowdown)
      << "twice the input took more than four times as long";
}

std::string emoji_post(std::size_t emoji) {
  const std::string half = repeat(kFire, emoji / 2);
  return post("emoji", half + " " + std::string(kThreat) + " " + half);
}

TEST(HostileInputCli, TwoMillionEmojiRefusedByDefaultProcessedWithinARaisedLimit) {
  const TempFolder dir;
  std::vector<Measured> processed;
  const CliCase raised = cli_case(dir, {"--max-post-bytes", std::to_string(16 * kMiB)});
  for (const std::size_t emoji : {std::size_t{1'000'000}, std::size_t{2'000'000}}) {
    const std::string path = dir.write("emoji.ndjson", {kGoodFirst, emoji_post(emoji), kGoodLast});
    const double bytes = double(emoji * kFire.size());
    const Measured m = scan_file(dir, raised, path);
    EXPECT_EQ(m.exit_code, 0) << describe(m);
    const auto alerts = alerts_of(m.out);
    ASSERT_EQ(alerts.size(), 3U) << describe(m);
    EXPECT_EQ(alerts[1].threat_start, std::int64_t(emoji / 2 * kFire.size() + 1 + 12));
    expect_bounded(
        m, raised, bytes,
        std::to_string(emoji) + " emoji (" + std::to_string(emoji * 4 / 1'000'000) + " MB), raised limit (processed)");
    processed.push_back(m);
  }
  EXPECT_LT(processed[1].cpu_seconds, 4 * processed[0].cpu_seconds + 0.5 * kSlowdown);

  const CliCase defaults = cli_case(dir, {});
  const std::string path = dir.write("emoji.ndjson", {kGoodFirst, emoji_post(2'000'000), kGoodLast});
  const Measured refused = scan_file(dir, defaults, path);
  expect_refused_at_line_2(refused, path, "too_large");
  expect_bounded(refused, defaults, 0, "2M emoji (8 MB), default limit (refused)");
}

TEST(HostileInputCli, CombiningFloodScalesLinearly) {
  const TempFolder dir;
  const CliCase c = cli_case(dir, {"--max-post-bytes", std::to_string(4 * kMiB)});
  std::vector<Measured> runs;
  for (const std::size_t marks : {std::size_t{500'000}, std::size_t{1'000'000}}) {
    const std::size_t flood = 1 + marks * kCombiningAcute.size();
    const std::string path = dir.write(
        "flood.ndjson",
        {kGoodFirst, post("flood", "a" + repeat(kCombiningAcute, marks) + " " + std::string(kThreat)), kGoodLast});
    const Measured m = scan_file(dir, c, path);
    EXPECT_EQ(m.exit_code, 0) << describe(m);
    const auto alerts = alerts_of(m.out);
    ASSERT_EQ(alerts.size(), 3U) << describe(m);
    EXPECT_EQ(alerts[1].threat_start, std::int64_t(flood + 1 + 12));
    expect_bounded(m, c, double(flood), "'a' + " + std::to_string(marks) + " x U+0301 (processed)");
    runs.push_back(m);
  }
  EXPECT_LT(runs[1].cpu_seconds, 4 * runs[0].cpu_seconds + 0.5 * kSlowdown);
}

TEST(HostileInputCli, DeepNestingDenseThreatsAndBadBytesAreBounded) {
  const TempFolder dir;
  const CliCase c = cli_case(dir, {});
  struct Case {
    std::string name;
    std::function<std::string()> line;
    std::string reason;  // empty: processed, and the post `dense` alerts
  };
  const std::vector<Case> cases{
      {"a million '['", [] { return repeat("[", 1'000'000); }, "too_deep"},
      {"250k nested arrays in a field",
       [] { return post("deep", "x").insert(1, "\"x\":" + repeat("[", 250'000) + repeat("]", 250'000) + ","); },
       "too_deep"},
      {"raw NUL in the text",
       [] {
         std::string line = post("nul", kThreat);
         return line.insert(line.find("afmaken") + 3, 1, '\0');
       },
       "not_json"},
      {"overlong and surrogate UTF-8", [] { return post("utf8", "a\xC0\x80 \xED\xA0\x80 z"); }, "invalid_utf8"},
      {"byte order mark", [] { return "\xEF\xBB\xBF" + post("bom", kThreat); }, "not_json"},
      {"text as an object", [] { return post_with_raw_text("obj", R"({"a":"die rechter afmaken"})"); }, "wrong_type"},
      {"duplicate visibility", [] { return post("dup", kThreat).insert(1, R"("visibility":"private",)"); },
       "duplicate_key"},
      {"dense threats and targets (1 MB)", [] { return post("dense", repeat("rechter afmaken ", 60'000)); }, ""},
  };
  for (const auto& k : cases) {
    SCOPED_TRACE(k.name);
    std::size_t size = 0;
    std::string path;
    {
      const std::string line = k.line();
      size = line.size();
      path = dir.write("case.ndjson", {kGoodFirst, line, kGoodLast});
    }
    const Measured m = scan_file(dir, c, path);
    if (k.reason.empty()) {
      EXPECT_EQ(m.exit_code, 0) << describe(m);
      EXPECT_EQ(alerted_posts(m), (std::vector<std::string>{"good-1", "dense", "good-3"}));
      expect_bounded(m, c, double(size), k.name + " (processed)");
    } else {
      expect_refused_at_line_2(m, path, k.reason);
      expect_bounded(m, c, 0, k.name + " (refused)");
    }
  }
}

}  // namespace
}  // namespace wachtpost
