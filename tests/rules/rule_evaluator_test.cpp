// Rule evaluation through the PostProcessor: threat x target x exclusions, proximity.

#include <gtest/gtest.h>

#include <algorithm>

#include "match/pattern_loader.hpp"
#include "rules/rule_evaluator.hpp"
#include "runtime/post_processor.hpp"

using namespace wachtpost;

namespace {

const char* const kNl =
    "lang: nl\n"
    "targets:\n"
    "  - role: judge\n"
    "    terms: ['rechters?']\n"
    "  - role: mayor\n"
    "    terms: ['burgemeesters?']\n"
    "rules:\n"
    "  - id: nl.kill\n"
    "    rev: 1\n"
    "    description: kill\n"
    "    author: t\n"
    "    category: death_threat\n"
    "    severity: critical\n"
    "    window: 3\n"
    "    threat: ['afmaken|vermoorden']\n"
    "  - id: nl.fire\n"
    "    rev: 1\n"
    "    description: fire\n"
    "    author: t\n"
    "    category: arson_or_explosive\n"
    "    severity: high\n"
    "    window: 5\n"
    "    targets: [mayor]\n"
    "    threat: ['in de fik steken|molotov']\n"
    "    exclude: ['kampvuur']\n"
    "  - id: nl.home\n"
    "    rev: 1\n"
    "    description: where someone lives\n"
    "    author: t\n"
    "    category: home_or_doxxing\n"
    "    severity: high\n"
    "    window: 8\n"
    "    gap: 4\n"
    "    threat: ['{KNOW} ... waar ... (woont|slaapt)']\n"
    "  - id: nl.beat\n"
    "    rev: 1\n"
    "    description: beat\n"
    "    author: t\n"
    "    category: violence\n"
    "    severity: high\n"
    "    window: 8\n"
    "    threat: ['in elkaar slaan']\n"
    "    exclude: ['verkiezingen']\n"
    "  - id: nl.beat-wide\n"
    "    rev: 1\n"
    "    description: beat, excluded in a wider reach\n"
    "    author: t\n"
    "    category: violence\n"
    "    severity: high\n"
    "    window: 8\n"
    "    exclude_window: 6\n"
    "    threat: ['bont en blauw']\n"
    "    exclude: ['verkiezingen']\n"
    "  - id: nl.veiled\n"
    "    rev: 1\n"
    "    description: a detail of someone's home and a menace, in any order\n"
    "    author: t\n"
    "    category: home_or_doxxing\n"
    "    severity: medium\n"
    "    window: 12\n"
    "    gap: 5\n"
    "    threat: ['mooi huis && zonde']\n"
    "  - id: nl.object\n"
    "    rev: 1\n"
    "    description: verbs that threaten only with a target as object\n"
    "    author: t\n"
    "    category: violence\n"
    "    severity: high\n"
    "    window: 8\n"
    "    threat: ['pakken <target>', '<target> (aanpakken|te grazen nemen)']\n"
    "lexicon:\n"
    "  KNOW: ['weet|weten', 'ken|kennen']\n"
    "exclusions:\n"
    "  - id: nl.news\n"
    "    description: news\n"
    "    scope: window\n"
    "    patterns: ['dreigde']\n"
    "  - id: nl.said\n"
    "    description: reported speech before a quote\n"
    "    scope: window\n"
    "    patterns: ['zegt ''']\n"
    "  - id: nl.condemn\n"
    "    description: condemning a quoted threat\n"
    "    scope: post\n"
    "    patterns: ['walgelijk']\n";

const char* const kEn =
    "lang: en\n"
    "targets:\n"
    "  - role: mayor\n"
    "    terms: ['mayors?']\n"
    "rules:\n"
    "  - id: en.fire\n"
    "    rev: 1\n"
    "    description: fire\n"
    "    author: t\n"
    "    category: arson_or_explosive\n"
    "    severity: high\n"
    "    threat: ['molotov']\n";

const char* const kRegistry =
    "persons:\n"
    "  - id: pieter-jansen\n"
    "    name: Pieter Jansen\n"
    "    role: judge\n"
    "    aliases: ['rechter Jansen']\n"
    "  - id: joris-van-dam\n"
    "    name: Joris van Dam\n"
    "    role: mayor\n";

// The alerts one public post raises.
std::vector<Alert> alerts_of(PostProcessor& processor, const std::shared_ptr<const PatternSet>& set,
                             std::string_view text, std::string_view lang = "nl", std::string_view author = "someone") {
  Post post;
  post.id = "p1";
  post.platform = "x";
  post.url = "https://x.example/p1";
  post.created_at = "2026-11-20T10:00:00Z";
  post.visibility = "public";
  post.lang = lang;
  post.author_id = author;
  post.text = text;
  std::vector<Alert> alerts;
  processor.process(set, post, "2026-11-20T10:00:01.000Z", alerts);
  return alerts;
}

class RuleEvaluationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const RuleSource sources[] = {{"nl.yaml", kNl}, {"en.yaml", kEn}};
    set_ = build_pattern_set({sources, RuleSource{"people.yaml", kRegistry}, ""});
  }

  std::vector<Alert> alerts_for(std::string_view text, std::string_view lang = "nl",
                                std::string_view author = "someone") {
    return alerts_of(processor_, set_, text, lang, author);
  }

  static std::vector<std::string> rules_of(const std::vector<Alert>& alerts) {
    std::vector<std::string> out;
    for (const auto& a : alerts) out.push_back(a.rule);
    return out;
  }

  std::shared_ptr<const PatternSet> set_;
  PostProcessor processor_;
};

}  // namespace

TEST(WordsBetween, CountsWholeWordsInTheGap) {
  const std::string_view text = "die rechter moet je afmaken";
  EXPECT_EQ(words_between(text, 4, 11, 20, 27), 2U);  // "moet je"
  EXPECT_EQ(words_between(text, 20, 27, 4, 11), 2U);  // order does not matter
  EXPECT_EQ(words_between(text, 0, 3, 4, 11), 0U);    // adjacent
  EXPECT_EQ(words_between(text, 4, 11, 8, 16), 0U);   // overlapping
}

TEST_F(RuleEvaluationTest, ThreatNearATargetAlerts) {
  const auto alerts = alerts_for("iemand moet die rechter afmaken");
  ASSERT_EQ(rules_of(alerts), std::vector<std::string>{"nl.kill"});
  ASSERT_EQ(alerts[0].targets.size(), 1U);
  EXPECT_EQ(alerts[0].targets[0].role, "judge");
  EXPECT_TRUE(alerts[0].targets[0].id.empty());
  EXPECT_EQ(alerts[0].severity, Severity::kCritical);
  EXPECT_EQ(alerts[0].category, "death_threat");
}

TEST_F(RuleEvaluationTest, WindowIsInclusiveAndExact) {
  EXPECT_EQ(alerts_for("rechter een twee drie afmaken").size(), 1U);       // 3 words between: inside window 3
  EXPECT_EQ(alerts_for("rechter een twee drie vier afmaken").size(), 0U);  // 4 words: outside
}

TEST_F(RuleEvaluationTest, ThreatWithoutProtectedTargetIsNotAnAlert) {
  EXPECT_TRUE(alerts_for("ik ga die mug afmaken").empty());
  EXPECT_TRUE(alerts_for("de rechter deed uitspraak").empty());
}

TEST_F(RuleEvaluationTest, WindowExclusionSilencesNearbyThreatsOnly) {
  EXPECT_TRUE(alerts_for("de man dreigde de rechter te vermoorden").empty());
  const auto far = alerts_for("hij dreigde een twee drie vier vijf zes zeven, die rechter moet je afmaken");
  EXPECT_EQ(rules_of(far), std::vector<std::string>{"nl.kill"});
}

TEST_F(RuleEvaluationTest, PostExclusionSilencesTheWholePost) {
  EXPECT_TRUE(
      alerts_for("'ik ga die rechter afmaken' stond in de brief. een twee drie vier vijf zes. Walgelijk.").empty());
}

TEST_F(RuleEvaluationTest, RulesOwnExclusionAppliesToThatRuleOnly) {
  EXPECT_TRUE(alerts_for("ik steek het kampvuur in de fik steken, zegt de burgemeester").empty());
  const auto alerts = alerts_for("kampvuur en de burgemeester afmaken");
  EXPECT_EQ(rules_of(alerts), std::vector<std::string>{"nl.kill"});
}

TEST_F(RuleEvaluationTest, RoleFilterLimitsARuleToItsTargets) {
  EXPECT_TRUE(alerts_for("die rechter moet je in de fik steken").empty());
  EXPECT_EQ(rules_of(alerts_for("die burgemeester moet je in de fik steken")), std::vector<std::string>{"nl.fire"});
}

TEST_F(RuleEvaluationTest, NamedPersonReplacesTheRoleWordInsideTheName) {
  const auto alerts = alerts_for("ik ga rechter Jansen afmaken");
  ASSERT_EQ(alerts.size(), 1U);
  ASSERT_EQ(alerts[0].targets.size(), 1U);
  EXPECT_EQ(alerts[0].targets[0].id, "pieter-jansen");
  EXPECT_EQ(alerts[0].targets[0].name, "Pieter Jansen");
  EXPECT_EQ(alerts[0].targets[0].role, "judge");
  const bool role_word_listed = std::any_of(alerts[0].matches.begin(), alerts[0].matches.end(),
                                            [](const AlertMatch& m) { return m.text == "rechter"; });
  EXPECT_FALSE(role_word_listed);
}

TEST_F(RuleEvaluationTest, TitleOfThePersonsRoleWithTheSurnameNamesThePerson) {
  // No alias lists "burgemeester Van Dam" or "mayors van dam": any term of the
  // person's role followed by the surname names the person.
  for (const char* text : {"ik ga burgemeester Van Dam afmaken", "ik ga burgemeesters van dam afmaken",
                           "ik ga burgemeester J. van Dam afmaken", "Van Dam, burgemeester: ik ga je afmaken"}) {
    const auto alerts = alerts_for(text);
    ASSERT_EQ(alerts.size(), 1U) << text;
    ASSERT_EQ(alerts[0].targets.size(), 1U) << text;
    EXPECT_EQ(alerts[0].targets[0].id, "joris-van-dam") << text;
  }
  // With another role's title, or alone and away from the threat, the surname is not the person.
  for (const char* text : {"ik ga rechter Van Dam afmaken", "Van Dam zei dat ik je ga afmaken"}) {
    const auto alerts = alerts_for(text);
    for (const auto& alert : alerts) {
      for (const auto& target : alert.targets) EXPECT_NE(target.id, "joris-van-dam") << text;
    }
  }
}

TEST_F(RuleEvaluationTest, SameWordsInTwoLanguagesGiveOneAlertInThePostsLanguage) {
  EXPECT_EQ(rules_of(alerts_for("een molotov voor die burgemeester", "nl")), std::vector<std::string>{"nl.fire"});
  EXPECT_EQ(rules_of(alerts_for("a molotov for the burgemeester mayor", "en")), std::vector<std::string>{"en.fire"});
}

TEST_F(RuleEvaluationTest, AuthorDoesNotTakePartInMatching) {
  const auto a = alerts_for("iemand moet die rechter afmaken", "nl", "author-1");
  const auto b = alerts_for("iemand moet die rechter afmaken", "nl", "author-2");
  const auto c = alerts_for("iemand moet die rechter afmaken", "nl", "");
  ASSERT_EQ(a.size(), 1U);
  ASSERT_EQ(b.size(), 1U);
  ASSERT_EQ(c.size(), 1U);
  EXPECT_EQ(a[0].alert_id, b[0].alert_id);
  EXPECT_EQ(a[0].alert_id, c[0].alert_id);
}

TEST_F(RuleEvaluationTest, StretchedSingleAndDoubleLettersBothMatch) {
  EXPECT_EQ(alerts_for("die rechter moet je afmaaaaaken").size(), 1U);
  EXPECT_EQ(alerts_for("die rechterrrrr moet je afmaken").size(), 1U);
  const auto alerts = alerts_for("die reeeechter moet je afmaaaken");
  ASSERT_EQ(alerts.size(), 1U);
  EXPECT_EQ(alerts[0].matches.front().text, "reeeechter");
}

TEST_F(RuleEvaluationTest, StretchedDoubleVowelAndSingleConsonantInOneWord) {
  // "vermoooordennnn": the vowel pair was double, the consonant single; neither
  // squeezing everything to two nor to one reads "vermoorden".
  const std::string text = "die rechter ga ik vermoooordennnn";
  const auto alerts = alerts_for(text);
  ASSERT_EQ(alerts.size(), 1U);
  const auto& threat = alerts[0].matches.back();
  EXPECT_EQ(threat.kind, "threat");
  EXPECT_EQ(threat.text, "vermoooordennnn");
  EXPECT_EQ(text.substr(threat.start, threat.end - threat.start), "vermoooordennnn");
  EXPECT_EQ(threat.decoded, kDecodeRepeat);
  EXPECT_TRUE(alerts_for("die rechter ga ik vermorden").empty());
}

TEST_F(RuleEvaluationTest, LetterSpacedWordsWithWiderGapsBetweenWords) {
  const std::string text = "d i e  r e c h t e r  m o e t  j e  a f m a k e n";
  const auto alerts = alerts_for(text);
  ASSERT_EQ(alerts.size(), 1U);
  ASSERT_EQ(alerts[0].matches.size(), 2U);
  EXPECT_EQ(alerts[0].matches[0].text, "r e c h t e r");
  EXPECT_EQ(alerts[0].matches[1].text, "a f m a k e n");
  EXPECT_EQ(alerts[0].matches[1].decoded, kDecodeSpacing);
}

TEST_F(RuleEvaluationTest, NonPublicPostIsDroppedBeforeMatching) {
  Post post;
  post.id = "p";
  post.platform = "x";
  post.visibility = "followers";
  post.text = "iemand moet die rechter afmaken";
  std::vector<Alert> alerts;
  EXPECT_EQ(processor_.process(set_, post, "t", alerts), PostVerdict::kDroppedNotPublic);
  EXPECT_TRUE(alerts.empty());
}

TEST_F(RuleEvaluationTest, EvidenceListsThreatAndTargetWithOriginalOffsets) {
  const std::string text = "Die RÉCHTER moet je AFMAKEN!";
  const auto alerts = alerts_for(text);
  ASSERT_EQ(alerts.size(), 1U);
  ASSERT_EQ(alerts[0].matches.size(), 2U);
  EXPECT_EQ(alerts[0].matches[0].kind, "target");
  EXPECT_EQ(alerts[0].matches[0].text, "RÉCHTER");
  EXPECT_EQ(text.substr(alerts[0].matches[0].start, alerts[0].matches[0].end - alerts[0].matches[0].start), "RÉCHTER");
  EXPECT_EQ(alerts[0].matches[1].kind, "threat");
  EXPECT_EQ(alerts[0].matches[1].text, "AFMAKEN");
  EXPECT_EQ(alerts[0].excerpt, text);
}

TEST_F(RuleEvaluationTest, ThreatSequenceJoinsItsPartsInOrderWithinTheGap) {
  const auto alerts = alerts_for("ik weet heus wel waar die rechter woont");
  ASSERT_EQ(rules_of(alerts), std::vector<std::string>{"nl.home"});
  // The evidence spans the sequence, first part to last, in the original text.
  const auto threat = std::find_if(alerts[0].matches.begin(), alerts[0].matches.end(),
                                   [](const AlertMatch& m) { return m.kind == "threat"; });
  ASSERT_NE(threat, alerts[0].matches.end());
  EXPECT_EQ(threat->text, "weet heus wel waar die rechter woont");
  EXPECT_EQ(rules_of(alerts_for("ik ken waar een twee drie rechter woont")), std::vector<std::string>{"nl.home"});
}

TEST_F(RuleEvaluationTest, ThreatSequenceNeedsOrderGapAndOneSentence) {
  EXPECT_TRUE(alerts_for("die rechter woont ergens, ik weet waar").empty());              // parts out of order
  EXPECT_TRUE(alerts_for("ik weet waar een twee drie vier vijf rechter woont").empty());  // 5 words > gap 4
  EXPECT_TRUE(alerts_for("ik weet waar. die rechter woont in Zwolle").empty());           // sentence ends between
  EXPECT_TRUE(alerts_for("ik weet waar de rechter").empty());                             // last part missing
}

TEST_F(RuleEvaluationTest, MatchesAreWholeWords) {
  // "afmaken" inside "afmakend" or "herafmaken" is not the word.
  EXPECT_TRUE(alerts_for("de rechter herafmaken").empty());
  EXPECT_TRUE(alerts_for("de rechter afmakend").empty());
  EXPECT_TRUE(alerts_for("de rechtertjes afmaken").empty());
  EXPECT_EQ(rules_of(alerts_for("de rechter, afmaken!")), std::vector<std::string>{"nl.kill"});
}

TEST_F(RuleEvaluationTest, RulesOwnExclusionReachesOnlyItsExcludeWindow) {
  // Default reach 2 words: an idiom next to the threat, not a topic word further off.
  EXPECT_TRUE(alerts_for("die rechter in elkaar slaan verkiezingen").empty());
  EXPECT_TRUE(alerts_for("die rechter in elkaar slaan bij de verkiezingen").empty());
  EXPECT_EQ(rules_of(alerts_for("die rechter in elkaar slaan, zo zie je maar na de verkiezingen")),
            std::vector<std::string>{"nl.beat"});
  // exclude_window: 6 widens it.
  EXPECT_TRUE(alerts_for("die rechter bont en blauw, zo zie je maar na de verkiezingen").empty());
}

TEST_F(RuleEvaluationTest, CoOccurrenceNeedsEveryPartNearTheFirstInAnyOrder) {
  EXPECT_EQ(rules_of(alerts_for("mooi huis heeft die burgemeester. zonde.")), std::vector<std::string>{"nl.veiled"});
  EXPECT_EQ(rules_of(alerts_for("zonde hoor. mooi huis, burgemeester")), std::vector<std::string>{"nl.veiled"});
  EXPECT_TRUE(alerts_for("mooi huis heeft die burgemeester").empty());
  EXPECT_TRUE(alerts_for("mooi huis heeft die burgemeester een twee drie vier vijf zes zonde").empty());  // 6 > gap 5
}

TEST_F(RuleEvaluationTest, APostThatAddressesATargetPointsAtItThroughout) {
  const std::string far = " een twee drie vier vijf zes zeven acht. ik kom je afmaken";
  EXPECT_EQ(rules_of(alerts_for("Beste rechter," + far)), std::vector<std::string>{"nl.kill"});
  EXPECT_EQ(rules_of(alerts_for("@pjansen" + far)).size(), 0U);  // no such handle: no target at all
  EXPECT_EQ(rules_of(alerts_for("Rechter Jansen:" + far)), std::vector<std::string>{"nl.kill"});
  // Named at the start but not addressed, or addressed further in: the window holds.
  EXPECT_TRUE(alerts_for("De rechter zat" + far).empty());
  EXPECT_TRUE(alerts_for("ja ja ja ja, rechter," + far).empty());
  // A threat before the address is not covered.
  EXPECT_TRUE(alerts_for("afmaken een twee drie vier vijf. rechter, hallo").empty());
}

TEST_F(RuleEvaluationTest, ObjectTargetMustBeWhatTheVerbActsOn) {
  EXPECT_EQ(rules_of(alerts_for("we gaan pakken die corrupte rechter")), std::vector<std::string>{"nl.object"});
  EXPECT_EQ(rules_of(alerts_for("we gaan die rechter Jansen te grazen nemen")), std::vector<std::string>{"nl.object"});
  EXPECT_EQ(rules_of(alerts_for("eerst de burgemeester aanpakken")), std::vector<std::string>{"nl.object"});
  // The same verbs near a target, but not acting on it.
  EXPECT_TRUE(alerts_for("de rechter zei: we gaan pakken en inpakken").empty());
  EXPECT_TRUE(alerts_for("pakken, zei de rechter").empty());
  EXPECT_TRUE(alerts_for("de rechter wil de fraude aanpakken").empty());
  EXPECT_TRUE(alerts_for("we gaan pakken een twee drie rechter").empty());
}

TEST(ObjectTargetSyntax, OnlyFirstOrLastWordAndNotInSequences) {
  const std::string head =
      "lang: nl\n"
      "targets:\n"
      "  - role: judge\n"
      "    terms: ['rechter']\n"
      "rules:\n"
      "  - id: nl.bad\n"
      "    rev: 1\n"
      "    description: bad\n"
      "    author: t\n"
      "    category: violence\n"
      "    severity: high\n";
  for (const char* threat : {"    threat: ['pakken <target> nu']\n", "    threat: ['pakken ... <target>']\n"}) {
    const std::string text = head + threat;
    const RuleSource sources[] = {{"bad.yaml", text}};
    try {
      (void)build_pattern_set({sources, std::nullopt, ""});
      ADD_FAILURE() << "accepted: " << threat;
    } catch (const PatternSetError& e) {
      EXPECT_NE(std::string(e.what()).find("bad.yaml:12"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("<target>"), std::string::npos) << e.what();
    }
  }
}

TEST_F(RuleEvaluationTest, BareSurnameNamesThePersonOnlyWhenThePostSupportsIt) {
  EXPECT_TRUE(alerts_for("Jansen moet je afmaken").empty());  // a common surname alone is nobody in particular
  EXPECT_TRUE(alerts_for("Burgemeesters zijn ook mensen. Jansen moet je afmaken").empty());  // another role
  for (const char* text :
       {"Rechters zijn ook mensen. Jansen moet je afmaken", "Pieter Jansen deed uitspraak. Jansen moet je afmaken"}) {
    const auto alerts = alerts_for(text);
    ASSERT_EQ(rules_of(alerts), std::vector<std::string>{"nl.kill"}) << text;
    ASSERT_EQ(alerts[0].targets.size(), 1U) << text;
    EXPECT_EQ(alerts[0].targets[0].id, "pieter-jansen") << text;
  }
}

TEST_F(RuleEvaluationTest, HandleMadeUpAroundTheNameNamesThePerson) {
  for (const char* text :
       {"@pieter_jansen_nl moet je afmaken", "@PieterJansen2 moet je afmaken", "rechters! @jansen_p moet je afmaken"}) {
    const auto alerts = alerts_for(text);
    ASSERT_EQ(rules_of(alerts), std::vector<std::string>{"nl.kill"}) << text;
    ASSERT_EQ(alerts[0].targets.size(), 1U) << text;
    EXPECT_EQ(alerts[0].targets[0].id, "pieter-jansen") << text;
  }
  EXPECT_TRUE(alerts_for("@jansen_bouw moet je afmaken").empty());  // only the surname, nothing else says who
}

TEST_F(RuleEvaluationTest, ThreatPassedOnInQuotationMarksIsNotTheWritersThreat) {
  EXPECT_TRUE(alerts_for("Dit kreeg ik vandaag: 'ik ga die rechter afmaken' en dat is eng").empty());
  EXPECT_TRUE(alerts_for("Hij schreef \"ik ga die rechter afmaken\" onder de foto, bah").empty());
  EXPECT_TRUE(alerts_for("Hij schreef \u201cik ga die rechter afmaken\u201d onder de foto, bah").empty());
  EXPECT_TRUE(alerts_for("Hij schreef \u201eik ga die rechter afmaken\u201c onder de foto, bah").empty());
  EXPECT_TRUE(alerts_for("Hij schreef \u00abik ga die rechter afmaken\u00bb onder de foto, bah").empty());
  // Scare quotes around a word or two, and a post that is all quote, are the writer's own.
  EXPECT_EQ(alerts_for("die rechter gaan we 'afmaken' hoor").size(), 1U);
  EXPECT_EQ(alerts_for("'ik ga die rechter afmaken'").size(), 1U);
  // Apostrophes inside words open no quote.
  EXPECT_EQ(alerts_for("z'n rechter moet je afmaken, da's 't beste wat er is").size(), 1U);
}

TEST_F(RuleEvaluationTest, RoleWordRefersToThePersonOfThatRoleNamedElsewhere) {
  const auto alerts = alerts_for("Pieter Jansen deed vandaag uitspraak in mijn zaak. Die rechter moet je afmaken.");
  ASSERT_EQ(rules_of(alerts), std::vector<std::string>{"nl.kill"});
  ASSERT_EQ(alerts[0].targets.size(), 1U);
  EXPECT_EQ(alerts[0].targets[0].id, "pieter-jansen");
  // A person of another role stays out of it.
  const auto other = alerts_for("Joris van Dam opende vandaag de markt in het dorp. Die rechter moet je afmaken.");
  ASSERT_EQ(other.size(), 1U);
  ASSERT_EQ(other[0].targets.size(), 1U);
  EXPECT_EQ(other[0].targets[0].role, "judge");
  EXPECT_TRUE(other[0].targets[0].id.empty());
}

TEST_F(RuleEvaluationTest, ReportingVerbBeforeAQuoteReachesOnlyIntoThatQuote) {
  EXPECT_TRUE(alerts_for("hij zegt 'rechter afmaken' ja").empty());
  EXPECT_EQ(rules_of(alerts_for("rechter zegt 'nee', rechter afmaken")), std::vector<std::string>{"nl.kill"});
  // Without a closing mark it is no quote: the exclusion keeps its window.
  EXPECT_TRUE(alerts_for("rechter zegt 'nee, rechter afmaken").empty());
}

TEST_F(RuleEvaluationTest, BareSurnameThePostOpensWithAndSpeaksToNamesThePerson) {
  for (const char* text : {"Jansen, jou moet je afmaken", "Jansen ik ga je afmaken"}) {
    const auto alerts = alerts_for(text);
    ASSERT_EQ(rules_of(alerts), std::vector<std::string>{"nl.kill"}) << text;
    EXPECT_EQ(alerts[0].targets[0].id, "pieter-jansen") << text;
  }
  // The threat's own words touching it: it is what they are about.
  const auto touching = alerts_for("gisteren zei ik het al: we gaan Jansen afmaken");
  ASSERT_EQ(rules_of(touching), std::vector<std::string>{"nl.kill"});
  EXPECT_EQ(touching[0].targets[0].id, "pieter-jansen");
  // Further in, or not spoken to: a surname like any other.
  EXPECT_TRUE(alerts_for("gisteren zag ik toevallig Jansen, ik ga je afmaken").empty());
  EXPECT_TRUE(alerts_for("Jansen moet je afmaken").empty());
  EXPECT_TRUE(alerts_for("Jansen. ik ga je afmaken").empty());
}

TEST(RegistrySurnameAlone, NamesThePersonWithoutSupportWhenTheRegistrySaysSo) {
  const char* const rules =
      "lang: nl\n"
      "targets:\n"
      "  - role: minister\n"
      "    terms: ['ministers?']\n"
      "rules:\n"
      "  - id: nl.kill\n"
      "    rev: 1\n"
      "    description: kill\n"
      "    author: t\n"
      "    category: death_threat\n"
      "    severity: critical\n"
      "    threat: ['afmaken']\n";
  const char* const registry =
      "persons:\n"
      "  - id: anna-de-wit\n"
      "    name: Anna de Wit\n"
      "    role: minister\n"
      "    surname_alone: true\n"
      "  - id: sanne-bakker\n"
      "    name: Sanne Bakker\n"
      "    role: mp\n";
  const RuleSource sources[] = {{"nl.yaml", rules}};
  const auto set = build_pattern_set({sources, RuleSource{"people.yaml", registry}, ""});
  PostProcessor processor;
  auto alerts_for = [&](std::string_view text) { return alerts_of(processor, set, text); };
  const auto alerts = alerts_for("Te beginnen bij De Wit: afmaken");
  ASSERT_EQ(alerts.size(), 1U);
  EXPECT_EQ(alerts[0].targets[0].id, "anna-de-wit");
  EXPECT_TRUE(alerts_for("Te beginnen bij Bakker: afmaken").empty());
  // So does a handle made up around that surname alone.
  const auto handle = alerts_for("@a_dewit_minfin afmaken");
  ASSERT_EQ(handle.size(), 1U);
  EXPECT_EQ(handle[0].targets[0].id, "anna-de-wit");
  EXPECT_TRUE(alerts_for("@s_bakker_nl afmaken").empty());

  const char* const bad = "persons:\n  - id: x\n    name: X Y\n    role: mp\n    surname_alone: yes please\n";
  try {
    (void)build_pattern_set({sources, RuleSource{"bad.yaml", bad}, ""});
    ADD_FAILURE() << "accepted surname_alone: yes please";
  } catch (const PatternSetError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.yaml:2"), std::string::npos) << e.what();
  }
}

TEST_F(RuleEvaluationTest, PronounPointsBackAtTheTargetNamedBeforeIt) {
  const std::string far = " een twee drie vier vijf zes zeven acht.";
  // Past the window, "hem" near the threat stands for the judge named before.
  const auto alerts = alerts_for("Die rechter van gisteren," + far + " ik ga hem afmaken");
  ASSERT_EQ(rules_of(alerts), std::vector<std::string>{"nl.kill"});
  EXPECT_EQ(alerts[0].targets[0].role, "judge");
  // The nearest target before the pronoun is the one it stands for.
  const auto named = alerts_for("Rechter Jansen en de burgemeester," + far + " ik ga hem afmaken");
  ASSERT_EQ(named.size(), 1U);
  EXPECT_EQ(named[0].targets[0].role, "mayor");
  // An object verb takes the pronoun as its object.
  EXPECT_EQ(rules_of(alerts_for("De rechter van gisteren," + far + " we gaan pakken hem")),
            std::vector<std::string>{"nl.object"});
  // No pronoun, a pronoun with no target before it, or a target too far back: no alert.
  EXPECT_TRUE(alerts_for("Die rechter van gisteren," + far + " ik ga afmaken").empty());
  EXPECT_TRUE(alerts_for("ik ga hem afmaken," + far + " zei de rechter niet").empty());
  EXPECT_TRUE(alerts_for("De rechter" + far + far + far + " ik ga hem afmaken").empty());
  // "you" stands only for a target the post opens by addressing.
  EXPECT_EQ(rules_of(alerts_for("Rechter," + far + " ik ga je afmaken")), std::vector<std::string>{"nl.kill"});
  EXPECT_TRUE(alerts_for("Die rechter van gisteren," + far + " ik ga je afmaken").empty());
}
