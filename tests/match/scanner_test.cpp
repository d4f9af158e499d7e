// The two-step Scanner (match/scanner.hpp) must find exactly what one scan of
// every expression compiled with HS_FLAG_SOM_LEFTMOST finds: the same
// expressions, ends and starts, whole words only.

#include "match/scanner.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <tuple>

#include "cli/pattern_source.hpp"
#include "match/pattern_loader.hpp"
#include "normalize/normalizer.hpp"

using namespace wachtpost;

namespace {

bool is_whole_word(std::string_view text, std::uint64_t from, std::uint64_t to) {
  const auto inside = [&](std::uint64_t at) {
    return at > 0 && at < text.size() && is_word_byte(text[at - 1]) && is_word_byte(text[at]);
  };
  return !inside(from) && !inside(to);
}

using HitKey = std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>;  // to, from, pattern

std::vector<HitKey> keys_of(const std::vector<Hit>& hits) {
  std::vector<HitKey> out;
  for (const auto& h : hits) out.emplace_back(h.to, h.from, h.pattern);
  return out;
}

struct Reference {
  HsDatabase database;
  HsScratch scratch;
};

// One database of `patterns` (those `take` keeps), all with start tracking.
Reference reference_for(const PatternSet& set, const std::function<bool(const PatternEntry&)>& take) {
  std::vector<const char*> expressions;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  const auto patterns = set.patterns();
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    if (patterns[i].expression.empty() || !take(patterns[i])) continue;
    expressions.push_back(patterns[i].expression.c_str());
    flags.push_back(HS_FLAG_UTF8 | HS_FLAG_SOM_LEFTMOST);
    ids.push_back(static_cast<unsigned>(i));
  }
  hs_database_t* db = nullptr;
  hs_compile_error_t* error = nullptr;
  if (hs_compile_multi(expressions.data(), flags.data(), ids.data(), static_cast<unsigned>(ids.size()), HS_MODE_BLOCK,
                       nullptr, &db, &error) != HS_SUCCESS) {
    const std::string message = error != nullptr ? error->message : "?";
    hs_free_compile_error(error);
    throw std::runtime_error("reference compile failed: " + message);
  }
  hs_scratch_t* scratch = nullptr;
  hs_alloc_scratch(db, &scratch);
  return {HsDatabase(db), HsScratch(scratch)};
}

struct ReferenceScan {
  std::string_view text;
  std::vector<Hit> hits;
};

std::vector<Hit> reference_scan(const hs_database_t* db, hs_scratch_t* scratch, std::string_view text) {
  ReferenceScan scan{text, {}};
  hs_scan(
      db, text.data(), static_cast<unsigned>(text.size()), 0, scratch,
      [](unsigned id, unsigned long long from, unsigned long long to, unsigned, void* context) {
        auto* s = static_cast<ReferenceScan*>(context);
        if (is_whole_word(s->text, from, to)) {
          s->hits.push_back({id, static_cast<std::uint32_t>(from), static_cast<std::uint32_t>(to)});
        }
        return 0;
      },
      &scan);
  return scan.hits;
}

// Scanner's hits, and the reference's, for the patterns `take` keeps.
void expect_same_hits(const std::shared_ptr<const PatternSet>& set, const Reference& reference,
                      const std::function<bool(const PatternEntry&)>& take, std::string_view text, Scanner& scanner,
                      std::size_t& compared_hits) {
  std::vector<Hit> hits;
  ASSERT_TRUE(scanner.scan(set, text, hits));
  std::erase_if(hits, [&](const Hit& h) { return !take(set->patterns()[h.pattern]); });
  std::vector<HitKey> expected = keys_of(reference_scan(reference.database.get(), reference.scratch.get(), text));
  std::sort(expected.begin(), expected.end());
  const std::vector<HitKey> got = keys_of(hits);
  EXPECT_TRUE(std::is_sorted(got.begin(), got.end())) << text;
  EXPECT_EQ(got, expected) << "text: " << text;
  compared_hits += expected.size();
}

// Starts::kOnlyWithATarget: where a target matched, every hit as with
// kAlways; where none did, no target either (so no rule fires), and nothing
// kAlways would not have found.
void expect_same_decision_without_a_target(const std::shared_ptr<const PatternSet>& set, std::string_view text,
                                           Scanner& scanner) {
  std::vector<Hit> all_hits;
  std::vector<Hit> gated;
  scanner.scan(set, text, all_hits, Scanner::Starts::kAlways);
  scanner.scan(set, text, gated, Scanner::Starts::kOnlyWithATarget);
  const auto is_target = [&](const Hit& h) { return set->patterns()[h.pattern].kind == PatternKind::kTarget; };
  if (std::any_of(all_hits.begin(), all_hits.end(), is_target)) {
    EXPECT_EQ(keys_of(gated), keys_of(all_hits)) << text;
    return;
  }
  EXPECT_FALSE(std::any_of(gated.begin(), gated.end(), is_target)) << text;
  const auto all_keys = keys_of(all_hits);
  for (const auto& key : keys_of(gated)) {
    EXPECT_TRUE(std::binary_search(all_keys.begin(), all_keys.end(), key)) << text;
  }
}

const char* const kTrickyRules = R"(lang: en
targets:
  - role: judge
    terms: ['judges?', 'the (honou?rable )?judge', 'justice [a-z]+', 'rechter']
rules:
  - id: t.tricky
    rev: 1
    description: expressions of every shape
    author: tester
    category: death_threat
    severity: high
    threat:
      - 'kill'
      - 'ki+ll'
      - 'kill (him|her|them)( now| today| tonight)?'
      - '(^|[.!?] )watch out([.!]|$)'
      - 'end of ([a-z]+ )*days'
      - 'burn [a-z]{2,8} down'
      - 'l[a-z]{3}'
      - 'you (will|shall) pay'
      - 'dood|doodmaken'
      - 'mörder|moerder'
      - 'ž[a-z]+'
      - 'go to hell.*'
      - '[0-9]{1,3} bullets?'
)";

const std::vector<std::string> kWords = {
    "kill",    "kiiill", "him",    "her",        "now",     "today",   "watch", "out",    ".",    "!",    "?",
    "end",     "of",     "the",    "days",       "burn",    "house",   "down",  "love",   "lost", "you",  "will",
    "shall",   "pay",    "dood",   "doodmaken",  "mörder",  "moerder", "žena",  "go",     "to",   "hell", "12",
    "bullets", "judge",  "judges", "honourable", "justice", "rechter", "skill", "killer", "é",    "日本", "x"};

}  // namespace

TEST(Scanner, FindsWhatOneStartTrackingScanFindsOnExpressionsOfEveryShape) {
  const RuleSource sources[] = {{"tricky.yaml", kTrickyRules}};
  const auto set = build_pattern_set({sources, std::nullopt, "2026-11-28"});
  ASSERT_NE(set->start_database(), nullptr);
  std::size_t fixed = 0;
  std::size_t unbounded = 0;
  for (const auto& p : set->patterns()) {
    fixed += p.fixed_width() ? 1 : 0;
    unbounded += p.max_width == UINT32_MAX ? 1 : 0;
  }
  EXPECT_GE(fixed, 3U);  // "kill", "l[a-z]{3}", "rechter"
  EXPECT_GE(unbounded, 2U);

  const auto all = [](const PatternEntry&) { return true; };
  const Reference reference = reference_for(*set, all);
  Scanner scanner;
  std::size_t compared = 0;
  for (const std::string text :
       {"kill", "kill him now", "skill killer kill", "watch out!", "x. watch out. watch out", "the end of the days",
        "end of end of days days", "burn it down burn the house down", "love lost", "you will pay, you shall pay",
        "dood doodmaken", "mörder moerder", "žena žžž", "go to hell and stay there", "12 bullets 1234 bullets",
        "the honourable judge justice smith judges", "日本 kill 日本 kiiiill", "ékill kill é"}) {
    expect_same_hits(set, reference, all, text, scanner, compared);
  }
  // Random texts from the same words: windows that touch, overlap and nest.
  std::mt19937 random(7);
  std::uniform_int_distribution<std::size_t> word(0, kWords.size() - 1);
  std::uniform_int_distribution<int> length(1, 60);
  for (int n = 0; n < 3000; ++n) {
    std::string text;
    for (int w = length(random); w > 0; --w) {
      if (!text.empty()) text += (random() % 7 == 0) ? "" : " ";
      text += kWords[word(random)];
    }
    expect_same_hits(set, reference, all, text, scanner, compared);
    expect_same_decision_without_a_target(set, text, scanner);
  }
  EXPECT_GT(compared, 20000U);
}

TEST(Scanner, FindsWhatOneStartTrackingScanFindsWithTheShippedSetOnTheLabelledCorpus) {
  const auto set = load_pattern_set({std::string(WACHTPOST_SOURCE_DIR) + "/patterns",
                                     std::string(WACHTPOST_SOURCE_DIR) + "/patterns/protected.example.yaml",
                                     {}});
  ASSERT_NE(set->start_database(), nullptr);
  // The start database already is the start-tracking database of every
  // expression of varying width: scanned over the whole text, it is the
  // reference for those; fixed widths are checked on the set above.
  hs_scratch_t* raw = nullptr;
  ASSERT_EQ(hs_alloc_scratch(set->start_database(), &raw), HS_SUCCESS);
  const Reference reference{nullptr, HsScratch(raw)};
  const auto varying = [](const PatternEntry& p) { return !p.expression.empty() && !p.fixed_width(); };

  Normalizer normalizer;
  NormalizedText normalized;
  Scanner scanner;
  std::size_t compared = 0;
  std::size_t texts = 0;
  simdjson::dom::parser parser;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(WACHTPOST_SOURCE_DIR) + "/tests/data/labelled")) {
    if (entry.path().extension() != ".ndjson") continue;
    simdjson::dom::document_stream stream = parser.load_many(entry.path().string()).value();
    for (auto document : stream) {
      const std::string_view text = document["text"].get_string().value();
      normalizer.normalize(text, normalized);
      std::vector<Hit> hits;
      ASSERT_TRUE(scanner.scan(set, normalized.text, hits));
      std::erase_if(hits, [&](const Hit& h) { return !varying(set->patterns()[h.pattern]); });
      std::vector<HitKey> expected =
          keys_of(reference_scan(set->start_database(), reference.scratch.get(), normalized.text));
      std::sort(expected.begin(), expected.end());
      EXPECT_EQ(keys_of(hits), expected) << entry.path().filename() << ": " << normalized.text;
      compared += expected.size();
      ++texts;
    }
  }
  EXPECT_GT(texts, 4000U);
  EXPECT_GT(compared, 10000U);
}
