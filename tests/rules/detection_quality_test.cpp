// Detection quality of the shipped pattern sets on the labelled corpus
// (tests/data/labelled/). The thresholds are the desk's acceptance bar: an
// edit to patterns/ that drops below them fails the build.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "cli/pattern_source.hpp"
#include "ingest/post_parser.hpp"
#include "runtime/post_processor.hpp"

using namespace wachtpost;

namespace {

struct Quality {
  std::size_t positives = 0, detected = 0;
  std::size_t negatives = 0, false_alerts = 0;
  std::size_t named = 0, attributed = 0;
  std::size_t category_right = 0;
  std::vector<std::string> misses, false_alarms;
};

Quality measure(const std::vector<std::string>& files) {
  // Loaded once for every corpus: a load parses and checks every rule file
  // (seconds under a sanitizer), and the set is immutable.
  static const auto set = load_pattern_set({std::string(WACHTPOST_SOURCE_DIR) + "/patterns",
                                            std::string(WACHTPOST_SOURCE_DIR) + "/patterns/protected.example.yaml",
                                            {}});
  PostParser parser;
  PostProcessor processor;
  simdjson::dom::parser labels;
  Quality q;
  std::vector<Alert> alerts;
  for (const auto& file : files) {
    simdjson::padded_string content = simdjson::padded_string::load(file).value();
    std::string_view all(content.data(), content.size());
    std::size_t line_number = 0;
    while (!all.empty()) {
      const std::size_t nl = all.find('\n');
      const std::string_view line = all.substr(0, nl);
      all = nl == std::string_view::npos ? std::string_view{} : all.substr(nl + 1);
      ++line_number;
      if (line.empty()) continue;
      const auto expect = labels.parse(line).value()["expect"];
      const bool should_alert = bool(expect["alert"]);
      Post post;
      ParseFailure failure;
      EXPECT_EQ(parser.parse_copy(line, post, failure), ParseOutcome::kPost) << file << ":" << line_number;
      alerts.clear();
      processor.process(set, post, "2026-11-28T00:00:00.000Z", alerts);
      const std::string where = file.substr(file.rfind('/') + 1) + ":" + std::to_string(line_number) + " " +
                                std::string(post.text.substr(0, 120));
      if (should_alert) {
        ++q.positives;
        if (alerts.empty()) {
          q.misses.push_back(where);
          continue;
        }
        ++q.detected;
        const std::string_view category = expect["category"];
        if (std::any_of(alerts.begin(), alerts.end(), [&](const Alert& a) { return a.category == category; })) {
          ++q.category_right;
        }
        std::set<std::string> found;
        for (const auto& alert : alerts) {
          for (const auto& target : alert.targets) found.insert(target.id);
        }
        bool all_named = true;
        bool any_named = false;
        for (auto id : expect["targets"].get_array()) {
          any_named = true;
          all_named = all_named && found.contains(std::string(std::string_view(id)));
        }
        if (any_named) {
          ++q.named;
          q.attributed += all_named ? 1 : 0;
        }
      } else {
        ++q.negatives;
        if (!alerts.empty()) {
          q.false_alerts++;
          q.false_alarms.push_back(where + "  [" + alerts[0].rule + "]");
        }
      }
    }
  }
  return q;
}

void report(const char* name, const Quality& q) {
  std::printf(
      "%s: recall %.3f (%zu/%zu), false-alert rate %.3f (%zu/%zu), named-target attribution %.3f (%zu/%zu), "
      "category agreement %.3f\n",
      name, double(q.detected) / double(q.positives), q.detected, q.positives,
      double(q.false_alerts) / double(q.negatives), q.false_alerts, q.negatives,
      q.named ? double(q.attributed) / double(q.named) : 1.0, q.attributed, q.named,
      q.detected ? double(q.category_right) / double(q.detected) : 0.0);
  for (const auto& m : q.misses) std::printf("  missed: %s\n", m.c_str());
  for (const auto& f : q.false_alarms) std::printf("  false alert: %s\n", f.c_str());
}

void expect_thresholds(const Quality& q) {
  ASSERT_GT(q.positives, 0U);
  ASSERT_GT(q.negatives, 0U);
  EXPECT_GE(double(q.detected) / double(q.positives), 0.90);
  EXPECT_LE(double(q.false_alerts) / double(q.negatives), 0.05);
  if (q.named > 0) {
    EXPECT_GE(double(q.attributed) / double(q.named), 0.95);
  }
}

}  // namespace

TEST(DetectionQuality, LabelledCorpusMeetsTheDesksThresholds) {
  const std::string dir = std::string(WACHTPOST_SOURCE_DIR) + "/tests/data/labelled/";
  const auto q = measure({dir + "nl.ndjson", dir + "en.ndjson"});
  EXPECT_GE(q.positives + q.negatives, 300U);
  EXPECT_GE(double(q.negatives) / double(q.positives + q.negatives), 0.40);
  report("labelled corpus", q);
  expect_thresholds(q);
}

// Round 2: a set written later by someone who had not seen the rules; it
// showed the round-1 rules generalised poorly (recall 0.585 nl, 0.700 en) and
// the rules were then widened for the classes it missed. It guards those
// classes now; it is no longer unseen.
TEST(DetectionQuality, RoundTwoCorpusMeetsTheDesksThresholds) {
  const std::string dir = std::string(WACHTPOST_SOURCE_DIR) + "/tests/data/labelled/";
  const auto q = measure({dir + "nl-round2.ndjson", dir + "en-round2.ndjson"});
  EXPECT_GE(q.positives + q.negatives, 200U);
  report("round-2 corpus", q);
  expect_thresholds(q);
}

// Round 3: unseen when measured (recall 0.683 nl, 0.680 en), then used to
// widen the lexicons; a regression guard from then on.
TEST(DetectionQuality, RoundThreeCorpusMeetsTheDesksThresholds) {
  const std::string dir = std::string(WACHTPOST_SOURCE_DIR) + "/tests/data/labelled/";
  const auto q = measure({dir + "nl-round3.ndjson", dir + "en-round3.ndjson"});
  EXPECT_GE(q.positives + q.negatives, 200U);
  report("round-3 corpus", q);
  expect_thresholds(q);
}

// Rounds 4 to 24: each written blind by someone who had seen neither the rules
// nor the other sets, asked for harder and more varied posts each time, and
// measured before any rule was tuned on it (README, Detection quality); then
// the rule classes they showed missing were added. Regression guards now.
TEST(DetectionQuality, RoundsFourToTwentyFourMeetTheDesksThresholds) {
  const std::string dir = std::string(WACHTPOST_SOURCE_DIR) + "/tests/data/labelled/";
  for (const int round : {4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24}) {
    const std::string name = "round-" + std::to_string(round) + " corpus";
    const auto q = measure(
        {dir + "nl-round" + std::to_string(round) + ".ndjson", dir + "en-round" + std::to_string(round) + ".ndjson"});
    EXPECT_GE(q.positives + q.negatives, 180U) << name;
    report(name.c_str(), q);
    expect_thresholds(q);
  }
}

// Rounds 25 and 26 (tests/data/unseen/): written blind and never tuned on,
// neither the written rules nor the learned weights (learned from
// tests/data/labelled/ only). They hold the desk's thresholds on text nobody
// tuned for; once anything is tuned on them they move to labelled/ and a new
// unseen pair is written.
TEST(DetectionQuality, UnseenRoundsMeetTheDesksThresholds) {
  const std::string dir = std::string(WACHTPOST_SOURCE_DIR) + "/tests/data/unseen/";
  for (const int round : {25, 26}) {
    const std::string name = "unseen round-" + std::to_string(round);
    const auto q = measure(
        {dir + "nl-round" + std::to_string(round) + ".ndjson", dir + "en-round" + std::to_string(round) + ".ndjson"});
    EXPECT_GE(q.positives + q.negatives, 180U) << name;
    report(name.c_str(), q);
    expect_thresholds(q);
  }
}
