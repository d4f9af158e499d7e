// Learned rules: the cues of a text, loading a learned rule, weighing a post,
// and learning the weights from labelled files.

#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "match/pattern_loader.hpp"
#include "rules/cue_learner.hpp"
#include "rules/learned_cues.hpp"
#include "runtime/post_processor.hpp"

using namespace wachtpost;

namespace {

std::vector<std::string> cues_of(std::string_view text) {
  std::vector<std::string> out;
  std::string pair;
  for_each_cue(text, pair, [&](std::string_view cue, std::uint32_t from, std::uint32_t to) {
    out.push_back(std::string(cue) + "@" + std::to_string(from) + "-" + std::to_string(to));
  });
  return out;
}

const char* const kRules =
    "lang: nl\n"
    "targets:\n"
    "  - role: mayor\n"
    "    terms: ['burgemeesters?']\n"
    "rules:\n"
    "  - id: nl.kill\n"
    "    rev: 1\n"
    "    description: kill\n"
    "    author: t\n"
    "    category: death_threat\n"
    "    severity: critical\n"
    "    threat: ['afmaken']\n";

const char* const kLearned =
    "lang: nl\n"
    "learned:\n"
    "  id: nl.learned.cues\n"
    "  rev: 3\n"
    "  description: learned\n"
    "  author: t\n"
    "  severity: low\n"
    "  bias: -0.5\n"
    "  threshold: 1.0\n"
    "  veto: -2.5\n"
    "  cues:\n"
    "    hekken: [1.0, violence]\n"
    "    klimmen: [0.5, violence]\n"
    "    'om te': [0.3, arson_or_explosive]\n"
    "    vuurtje: [2.0, arson_or_explosive]\n"
    "    bibliotheek: [-2.0, violence]\n"
    "    zittingszaal: [-2.5, violence]\n";

std::vector<Alert> alerts_for(const std::shared_ptr<const PatternSet>& set, std::string_view text,
                              std::string_view lang = "nl") {
  PostProcessor processor;
  Post post;
  post.id = "p1";
  post.platform = "x";
  post.url = "https://x.example/p1";
  post.created_at = "2026-11-20T10:00:00Z";
  post.visibility = "public";
  post.lang = lang;
  post.text = text;
  std::vector<Alert> alerts;
  processor.process(set, post, "2026-11-20T10:00:01.000Z", alerts);
  return alerts;
}

std::shared_ptr<const PatternSet> learned_set(const char* learned = kLearned) {
  const RuleSource sources[] = {{"nl.yaml", kRules}, {"learned.yaml", learned}};
  return build_pattern_set({sources, std::nullopt, ""});
}

}  // namespace

TEST(LearnedCues, WordsSymbolsAndNeighbouringPairsWithTheirOffsets) {
  EXPECT_EQ(cues_of("ik ga, 'm"), (std::vector<std::string>{"ik@0-2", "ga@3-5", "ik ga@0-5", "'m@7-9", "ga 'm@3-9"}));
  // A quote mark around a word is not part of it; a symbol is a cue of its own; a variation selector is nothing.
  EXPECT_EQ(cues_of("'brand' \xF0\x9F\x94\xA5\xEF\xB8\x8F"),
            (std::vector<std::string>{"brand@1-6", "\xF0\x9F\x94\xA5@8-12", "brand \xF0\x9F\x94\xA5@1-12"}));
  EXPECT_TRUE(cues_of(" ' , . ").empty());
}

TEST(LearnedCues, RuleFiresOnAPostNamingATargetWhenItsCuesWeighEnough) {
  const auto set = learned_set();
  ASSERT_EQ(set->learned().size(), 1U);
  // -0.5 + 1.0 (hekken) + 0.5 (klimmen) + 0.3 (om te) = 1.3
  const auto alerts = alerts_for(set, "Burgemeester, hekken zijn er om te klimmen.");
  ASSERT_EQ(alerts.size(), 1U);
  EXPECT_EQ(alerts[0].rule, "nl.learned.cues");
  EXPECT_EQ(alerts[0].rule_rev, 3);
  EXPECT_EQ(alerts[0].severity, Severity::kLow);
  EXPECT_EQ(alerts[0].category, "violence");  // what the heaviest cues point at
  ASSERT_EQ(alerts[0].targets.size(), 1U);
  EXPECT_EQ(alerts[0].targets[0].role, "mayor");
  std::vector<std::string> threats;
  for (const auto& m : alerts[0].matches) {
    if (m.kind == "threat") threats.push_back(m.text);
  }
  EXPECT_EQ(threats, (std::vector<std::string>{"hekken", "om te", "klimmen"}));

  EXPECT_EQ(alerts_for(set, "Burgemeester, een vuurtje?")[0].category, "arson_or_explosive");
  // Below the threshold; a cue counts once however often it is written; a
  // negative cue weighs against.
  EXPECT_TRUE(alerts_for(set, "Burgemeester, hekken.").empty());
  EXPECT_TRUE(alerts_for(set, "Burgemeester, hekken hekken hekken.").empty());
  EXPECT_TRUE(alerts_for(set, "Burgemeester, hekken zijn er om te klimmen bij de bibliotheek.").empty());
}

TEST(LearnedCues, RuleWeighsOnlyPostsThatNameATargetAndNoWrittenRuleFiredOn) {
  const auto set = learned_set();
  EXPECT_TRUE(alerts_for(set, "Buurman, hekken zijn er om te klimmen.").empty());
  const auto written = alerts_for(set, "Burgemeester, hekken zijn er om te klimmen, ik ga je afmaken.");
  ASSERT_EQ(written.size(), 1U);
  EXPECT_EQ(written[0].rule, "nl.kill");
  // A post in another language is not weighed by Dutch cues.
  EXPECT_TRUE(alerts_for(set, "Burgemeester, hekken zijn er om te klimmen.", "en").empty());
}

TEST(LearnedCues, PostThatReadsLikeTheHarmlessOnesTakesBackAWrittenRulesAlert) {
  const auto set = learned_set();
  // -0.5 - 2.5 = -3.0, below the veto: the words around "afmaken" are those of harmless posts.
  EXPECT_TRUE(alerts_for(set, "De advocaat ging de burgemeester afmaken in de zittingszaal").empty());
  // -0.5 - 2.0 = -2.5: not below it.
  EXPECT_EQ(alerts_for(set, "Ik ga de burgemeester afmaken bij de bibliotheek").size(), 1U);
  EXPECT_EQ(alerts_for(set, "Ik ga de burgemeester afmaken").size(), 1U);
}

TEST(LearnedCues, BrokenLearnedRuleIsRefusedWithFileAndLine) {
  const std::string bad = std::string(kLearned) + "    brand: [1.0, arson]\n    rook: 2\n";
  try {
    (void)learned_set(bad.c_str());
    ADD_FAILURE() << "accepted";
  } catch (const PatternSetError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("learned.yaml:18: learned rule 'nl.learned.cues': cue 'brand'"), std::string::npos) << what;
    EXPECT_NE(what.find("learned.yaml:19: learned rule 'nl.learned.cues': cue 'rook'"), std::string::npos) << what;
  }
  const std::string no_threshold =
      std::string(kLearned).replace(std::string(kLearned).find("  threshold: 1.0\n"), 17, "");
  EXPECT_THROW((void)learned_set(no_threshold.c_str()), PatternSetError);
}

namespace {

LabelledFile labelled(const std::string& name, int seed) {
  LabelledFile file{name, {}};
  const char* threats[] = {"burgemeester hekken klimmen", "burgemeester vuurtje vannacht",
                           "burgemeester hekken vuurtje"};
  const char* harmless[] = {"burgemeester bibliotheek geopend", "burgemeester markt geopend",
                            "burgemeester lint knippen"};
  for (int i = 0; i < 6; ++i) {
    file.posts.push_back({threats[(i + seed) % 3], true, true, "violence", true});
    file.posts.push_back({harmless[(i + seed) % 3], true, false, "", true});
  }
  file.posts.push_back({"burgemeester hekken klimmen", false, false, "", true});  // not public: never learned from
  return file;
}

}  // namespace

TEST(CueLearner, LearnsWeightsAndAThresholdFromFilesItLeftOut) {
  const std::vector<LabelledFile> files{labelled("a", 0), labelled("b", 1), labelled("c", 2)};
  const CueModel model = learn_cues(files);
  auto weight = [&](std::string_view cue) {
    const auto it =
        std::find_if(model.cues.begin(), model.cues.end(), [&](const LearnedCue& c) { return c.cue == cue; });
    return it == model.cues.end() ? 0.0F : it->weight;
  };
  EXPECT_GT(weight("hekken"), 0.0F);
  EXPECT_GT(weight("vuurtje"), 0.0F);
  EXPECT_LT(weight("geopend"), 0.0F);
  EXPECT_DOUBLE_EQ(model.held_out_recall, 1.0);
  EXPECT_DOUBLE_EQ(model.held_out_false_alerts, 0.0);
  EXPECT_EQ(model.posts, 36U);  // public posts only
  EXPECT_EQ(model.files, 3U);
  EXPECT_TRUE(std::is_sorted(model.cues.begin(), model.cues.end(),
                             [](const LearnedCue& a, const LearnedCue& b) { return a.cue < b.cue; }));
  // The same corpus gives the same weights.
  const CueModel again = learn_cues(files);
  ASSERT_EQ(again.cues.size(), model.cues.size());
  for (std::size_t i = 0; i < model.cues.size(); ++i) EXPECT_EQ(again.cues[i].weight, model.cues[i].weight);
  EXPECT_THROW((void)learn_cues({labelled("a", 0)}), std::runtime_error);

  // Teaching examples are learned from but never left out nor counted.
  LabelledFile teach = labelled("t", 0);
  teach.teach_only = true;
  const CueModel taught = learn_cues({labelled("a", 0), labelled("b", 1), teach});
  EXPECT_EQ(taught.posts, 24U);
  EXPECT_EQ(taught.files, 3U);
  EXPECT_THROW((void)learn_cues({labelled("a", 0), teach}), std::runtime_error);
}

TEST(CueLearner, UnreadableLineIsNamedWithFileAndLine) {
  const auto path = std::filesystem::temp_directory_path() / ("wachtpost-labelled-" + std::to_string(::getpid()));
  {
    std::ofstream out(path);
    out << R"({"lang":"nl","text":"a","visibility":"public","expect":{"alert":false}})" << '\n'
        << R"({"lang":"nl","text":"b","visibility":"public"})" << '\n';
  }
  try {
    (void)read_labelled_file(path, "nl");
    ADD_FAILURE() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string() + ":2: needs"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
}
