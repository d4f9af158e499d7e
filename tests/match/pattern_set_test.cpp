#include <gtest/gtest.h>

#include <algorithm>

#include "match/pattern_loader.hpp"

using namespace wachtpost;

namespace {

const char* const kTargets =
    "lang: nl\n"
    "targets:\n"
    "  - role: judge\n"
    "    terms: ['rechters?']\n";

const char* const kRule =
    "lang: nl\n"
    "rules:\n"
    "  - id: t.kill\n"
    "    rev: 1\n"
    "    description: kill\n"
    "    author: tester\n"
    "    category: death_threat\n"
    "    severity: critical\n"
    "    threat: ['afmaken']\n";

std::shared_ptr<const PatternSet> build(std::vector<RuleSource> sources, std::optional<RuleSource> registry = {},
                                        std::string today = "2026-11-28") {
  return build_pattern_set({sources, registry, std::move(today)});
}

std::vector<std::string> problems_of(std::vector<RuleSource> sources, std::optional<RuleSource> registry = {}) {
  try {
    build(std::move(sources), std::move(registry));
  } catch (const PatternSetError& e) {
    return e.problems();
  }
  return {};
}

bool has_problem(const std::vector<std::string>& problems, const std::string& text) {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const auto& p) { return p.find(text) != std::string::npos; });
}

}  // namespace

TEST(PatternSet, BuildsRulesTargetsAndExpressions) {
  const auto set = build({{"t.yaml", kTargets}, {"r.yaml", kRule}});
  ASSERT_EQ(set->rules().size(), 1U);
  EXPECT_EQ(set->rules()[0].id, "t.kill");
  EXPECT_EQ(set->rules()[0].severity, Severity::kCritical);
  EXPECT_EQ(set->rules()[0].where.str(), "r.yaml:3");
  ASSERT_EQ(set->targets().size(), 1U);
  EXPECT_EQ(set->targets()[0].role, "judge");
  EXPECT_EQ(set->patterns().size(), 2U);
  EXPECT_NE(set->database(), nullptr);
  EXPECT_GT(set->database_bytes(), 0U);
  EXPECT_EQ(set->hash().substr(0, 7), "sha256:");
  EXPECT_EQ(set->hash().size(), 7U + 16U);
}

TEST(PatternSet, HashFollowsContentNotOrder) {
  const auto a = build({{"t.yaml", kTargets}, {"r.yaml", kRule}});
  const auto b = build({{"r.yaml", kRule}, {"t.yaml", kTargets}});
  EXPECT_EQ(a->hash(), b->hash());
  const std::string changed = std::string(kRule) + "    window: 3\n";
  const auto c = build({{"t.yaml", kTargets}, {"r.yaml", changed}});
  EXPECT_NE(a->hash(), c->hash());
  const auto d = build({{"t.yaml", kTargets}, {"r.yaml", kRule}},
                       RuleSource{"people.yaml", "persons:\n  - {id: p1, name: Jan Smit, role: judge}\n"});
  EXPECT_NE(a->hash(), d->hash());
}

TEST(PatternSet, EveryProblemIsReportedWithFileAndLine) {
  const std::string bad =
      "lang: nl\n"
      "rules:\n"
      "  - id: t.one\n"  // 3
      "    rev: zero\n"  // 4
      "    description: d\n"
      "    author: a\n"
      "    category: murder\n"  // 7
      "    severity: high\n"
      "    threat: ['(unclosed']\n"  // 9
      "    colour: red\n"            // 10
      "  - id: t.one\n"              // 11
      "    rev: 1\n"
      "    description: d\n"
      "    author: a\n"
      "    category: violence\n"
      "    targets: [astronaut]\n"  // 16
      "    threat: ['slaan']\n";    // missing severity
  const auto problems = problems_of({{"t.yaml", kTargets}, {"bad.yaml", bad}});
  EXPECT_TRUE(has_problem(problems, "bad.yaml:4: rule 't.one': 'rev' must be a positive integer")) << problems.size();
  EXPECT_TRUE(has_problem(problems, "bad.yaml:7: rule 't.one': unknown category 'murder'"));
  EXPECT_TRUE(has_problem(problems, "bad.yaml:10: rule 't.one': unknown key 'colour'"));
  EXPECT_TRUE(has_problem(problems, "bad.yaml:11: rule 't.one': duplicate id"));
  EXPECT_TRUE(has_problem(problems, "bad.yaml:11: rule 't.one': missing 'severity'"));
  EXPECT_TRUE(has_problem(problems, "bad.yaml:16: rule 't.one': unknown target role 'astronaut'"));
  for (const auto& p : problems) EXPECT_TRUE(p.starts_with("bad.yaml:")) << p;
}

TEST(PatternSet, ExpressionThatDoesNotCompileIsNamedByPlace) {
  const std::string rule = std::string(kRule) +
                           "  - id: t.two\n    rev: 1\n    description: d\n    author: a\n"
                           "    category: violence\n    severity: low\n"
                           "    threat:\n      - 'slaan'\n      - '(unclosed'\n";
  const auto problems = problems_of({{"t.yaml", kTargets}, {"r.yaml", rule}});
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_TRUE(has_problem(problems, "r.yaml:18: expression")) << problems[0];
  EXPECT_TRUE(has_problem(problems, "does not compile"));
}

TEST(PatternSet, InvalidYamlNamesTheLine) {
  const auto problems = problems_of({{"t.yaml", kTargets}, {"broken.yaml", "lang: nl\nrules:\n  - id: [unclosed\n"}});
  ASSERT_FALSE(problems.empty());
  EXPECT_TRUE(problems[0].starts_with("broken.yaml:")) << problems[0];
  EXPECT_TRUE(has_problem(problems, "invalid YAML"));
}

TEST(PatternSet, RuleForARoleWithoutTermsIsRefused) {
  const std::string rule = std::string(kRule) + "    targets: [mayor]\n";
  const auto problems = problems_of({{"t.yaml", kTargets}, {"r.yaml", rule}});
  EXPECT_TRUE(has_problem(problems, "r.yaml:3: rule 't.kill': no target terms define role 'mayor'"));
}

TEST(PatternSet, ExpiredRuleIsSkippedAndReported) {
  const std::string expired = std::string(kRule) + "    expires: 2026-01-31\n" +
                              "  - id: t.live\n    rev: 1\n    description: d\n    author: a\n"
                              "    category: violence\n    severity: low\n    threat: ['slaan']\n";
  const auto set = build({{"t.yaml", kTargets}, {"r.yaml", expired}});
  ASSERT_EQ(set->rules().size(), 1U);
  EXPECT_EQ(set->rules()[0].id, "t.live");
  ASSERT_EQ(set->notices().size(), 1U);
  EXPECT_EQ(set->notices()[0], "r.yaml:3: rule 't.kill' expired on 2026-01-31, skipped");
  const auto not_yet = build({{"t.yaml", kTargets}, {"r.yaml", expired}}, {}, "2026-01-31");
  EXPECT_EQ(not_yet->rules().size(), 2U);
}

TEST(PatternSet, RegistryPersonsBecomeNamedTargetsWithNormalisedAliases) {
  const RuleSource registry{"people.yaml",
                            "persons:\n"
                            "  - id: pieter-jansen\n"
                            "    name: Piëter Jansen\n"
                            "    role: judge\n"
                            "    aliases: ['rechter Jansen', '@pjansen']\n"};
  const auto set = build({{"t.yaml", kTargets}, {"r.yaml", kRule}}, registry);
  const auto person = std::find_if(set->targets().begin(), set->targets().end(),
                                   [](const ProtectedTarget& t) { return t.person_id == "pieter-jansen"; });
  ASSERT_NE(person, set->targets().end());
  EXPECT_EQ(person->name, "Piëter Jansen");
  std::vector<std::string> expressions;
  for (const auto& p : set->patterns()) {
    if (p.kind == PatternKind::kTarget && set->targets()[p.owner].person_id == "pieter-jansen") {
      expressions.push_back(p.expression);
    }
  }
  // Then: a term of the person's role with the surname, the bare surname
  // (kept only where the post supports it), and handles made up around the
  // full name or the surname.
  EXPECT_EQ(expressions,
            (std::vector<std::string>{"pieter jansen", "rechter jansen", "\\@pjansen",
                                      "(?:rechters?) (?:[a-z]\\.? ?){0,2}jansen",
                                      "jansen, (?:de |het |die |dat |onze |the |a |that |our )?(?:rechters?)", "jansen",
                                      "@[a-z0-9_.]*pieter[_.]?jansen[a-z0-9_.]*", "@[a-z0-9_.]*jansen[a-z0-9_.]*"}));
  std::vector<bool> bare;
  for (const auto& p : set->patterns()) {
    if (p.kind == PatternKind::kTarget && set->targets()[p.owner].person_id == "pieter-jansen") {
      bare.push_back(p.bare_surname);
    }
  }
  EXPECT_EQ(bare, (std::vector<bool>{false, false, false, false, false, true, false, true}));
}

TEST(PatternSet, RegistryProblemsNameTheFile) {
  const auto problems = problems_of(
      {{"t.yaml", kTargets}, {"r.yaml", kRule}},
      RuleSource{"people.yaml",
                 "persons:\n  - id: a\n    name: A\n    role: king\n  - id: a\n    name: B\n    role: judge\n"});
  EXPECT_TRUE(has_problem(problems, "people.yaml:2: person 'a': unknown role 'king'"));
  EXPECT_TRUE(has_problem(problems, "people.yaml:5: person 'a': duplicate id"));
}

TEST(PatternSet, EmbeddedSetBuilds) {
  const auto sources = embedded_pattern_sources();
  ASSERT_FALSE(sources.empty());
  // Through the cache the CLI uses: compiling the shipped set costs a minute
  // (many under a sanitizer), and DatabaseCacheTest covers the cache itself.
  const DatabaseCache cache = DatabaseCache::from_environment();
  const auto set = build_pattern_set({sources, std::nullopt, "2026-11-28", &cache});
  EXPECT_GE(set->rules().size(), 12U);
  for (const auto& rule : set->rules()) {
    EXPECT_GE(rule.positive_examples.size(), 2U) << rule.id;
    EXPECT_GE(rule.negative_examples.size(), 2U) << rule.id;
  }
}

TEST(PatternSet, LexiconEntriesExpandInEveryFileOfTheirLanguage) {
  const std::string lexicon =
      "lang: nl\nlexicon:\n  KILL: ['afmaken', 'vermoorden']\n  ROLE: '{JUDGE}'\n  JUDGE: 'rechters?'\n";
  const std::string rule = std::string(kRule).replace(std::string(kRule).find("['afmaken']"), 11, "['{KILL} nu']");
  const std::string targets = "lang: nl\ntargets:\n  - role: judge\n    terms: ['{ROLE}']\n";
  const auto set = build({{"t.yaml", targets}, {"r.yaml", rule}, {"lexicon.yaml", lexicon}});
  std::vector<std::string> expressions;
  for (const auto& p : set->patterns()) expressions.push_back(p.expression);
  EXPECT_EQ(expressions, (std::vector<std::string>{"(?:(?:(?:rechters?)))", "(?:(?:afmaken|vermoorden) nu)"}));
  // A quantifier is not a name.
  const std::string counted =
      std::string(kRule).replace(std::string(kRule).find("['afmaken']"), 11, "['af{1,2}maken']");
  EXPECT_NO_THROW(build({{"t.yaml", kTargets}, {"r.yaml", counted}}));
}

TEST(PatternSet, LexiconProblemsNameTheirPlace) {
  const std::string unknown = std::string(kRule).replace(std::string(kRule).find("['afmaken']"), 11, "['{NOPE}']");
  EXPECT_TRUE(has_problem(problems_of({{"t.yaml", kTargets}, {"r.yaml", unknown}}),
                          "r.yaml:9: unknown lexicon entry {NOPE} for language 'nl'"));
  const std::string cycle = "lang: nl\nlexicon:\n  A: '{B}'\n  B: '{A}'\n";
  const std::string uses = std::string(kRule).replace(std::string(kRule).find("['afmaken']"), 11, "['{A}']");
  EXPECT_TRUE(has_problem(problems_of({{"t.yaml", kTargets}, {"r.yaml", uses}, {"l.yaml", cycle}}), "nests too deep"));
  const std::string twice = "lang: nl\nlexicon:\n  A: 'x'\n";
  EXPECT_TRUE(has_problem(problems_of({{"t.yaml", kTargets}, {"r.yaml", kRule}, {"l.yaml", twice}, {"m.yaml", twice}}),
                          "m.yaml:3: lexicon entry 'A' is already defined at l.yaml:3"));
  const std::string lower = "lang: nl\nlexicon:\n  kill: 'x'\n";
  EXPECT_TRUE(has_problem(problems_of({{"t.yaml", kTargets}, {"r.yaml", kRule}, {"l.yaml", lower}}),
                          "l.yaml:3: lexicon entry 'kill': names are upper case"));
}

TEST(PatternSet, ThreatSequenceIsOneThreatWithCompiledParts) {
  const std::string rule =
      std::string(kRule).replace(std::string(kRule).find("['afmaken']"), 11, "['weet waar ... woont']");
  const auto set = build({{"t.yaml", kTargets}, {"r.yaml", rule + "    gap: 3\n"}});
  ASSERT_EQ(set->patterns().size(), 4U);  // target, sequence, two parts
  const PatternEntry& sequence =
      set->patterns()[0].kind == PatternKind::kTarget ? set->patterns()[1] : set->patterns()[0];
  EXPECT_EQ(sequence.kind, PatternKind::kThreat);
  EXPECT_TRUE(sequence.expression.empty());
  EXPECT_EQ(sequence.parts, 2U);
  EXPECT_EQ(sequence.gap_words, 3U);
  const std::string empty_part =
      std::string(kRule).replace(std::string(kRule).find("['afmaken']"), 11, "['weet ...  ... woont']");
  EXPECT_TRUE(has_problem(problems_of({{"t.yaml", kTargets}, {"r.yaml", empty_part}}), "r.yaml:9: threat sequence"));
}

TEST(PatternSet, CapitalLettersAreRefusedButEscapesAreNot) {
  const std::string capital = std::string(kRule).replace(std::string(kRule).find("['afmaken']"), 11, "['Afmaken']");
  EXPECT_TRUE(has_problem(problems_of({{"t.yaml", kTargets}, {"r.yaml", capital}}), "r.yaml:9: expression"));
  const std::string escape = std::string(kRule).replace(std::string(kRule).find("['afmaken']"), 11, "['af\\Smaken']");
  EXPECT_NO_THROW(build({{"t.yaml", kTargets}, {"r.yaml", escape}}));
}

TEST(PatternSet, RoleReferencesAreTargetsButNeverTitlesBeforeASurname) {
  const std::string targets = std::string(kTargets) + "    references: ['gaf mijn broer [0-9]+ jaar']\n";
  const RuleSource registry{"people.yaml",
                            "persons:\n"
                            "  - id: pieter-jansen\n"
                            "    name: Pieter Jansen\n"
                            "    role: judge\n"};
  const auto set = build({{"t.yaml", targets}, {"r.yaml", kRule}}, registry);
  bool reference_compiled = false;
  for (const auto& p : set->patterns()) {
    if (p.kind != PatternKind::kTarget) continue;
    const ProtectedTarget& target = set->targets()[p.owner];
    if (target.person_id.empty() && p.expression == "(?:gaf mijn broer [0-9]+ jaar)") reference_compiled = true;
    if (!target.person_id.empty()) {
      EXPECT_EQ(p.expression.find("broer"), std::string::npos) << p.expression;
    }
  }
  EXPECT_TRUE(reference_compiled);
}
