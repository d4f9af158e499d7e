#include <gtest/gtest.h>

#include "cli/command_runner.hpp"

using wachtpost::testing::run_wachtpost;
using wachtpost::testing::source_path;

TEST(PatternsCommand, ShippedSetPassesLintAndItsOwnExamples) {
  const auto lint = run_wachtpost("patterns lint " + source_path("patterns"));
  EXPECT_EQ(lint.exit_code, 0) << lint.err;
  EXPECT_NE(lint.out.find("lint ok"), std::string::npos);
  const auto test = run_wachtpost("patterns test " + source_path("patterns"));
  EXPECT_EQ(test.exit_code, 0) << test.err;
  EXPECT_NE(test.out.find(" 0 failed"), std::string::npos) << test.out;
}

TEST(PatternsCommand, FailingExampleIsReportedWithFileAndLine) {
  const auto dir = std::filesystem::temp_directory_path() / ("wachtpost-ptest-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir / "rules.yaml");
    out << "lang: nl\n"
           "targets:\n  - role: judge\n    terms: ['rechter']\n"
           "rules:\n"
           "  - id: t.kill\n    rev: 2\n    description: d\n    author: a\n    category: death_threat\n"
           "    severity: high\n    threat: ['afmaken']\n"
           "    examples:\n"
           "      positive: ['die rechter afmaken', 'die rechter vermoorden']\n"
           "      negative: ['die mug afmaken', 'rechter afmaken']\n";
  }
  const auto test = run_wachtpost("patterns test " + dir.string());
  const auto lint = run_wachtpost("patterns lint " + dir.string());
  std::filesystem::remove_all(dir);
  EXPECT_EQ(test.exit_code, 1);
  EXPECT_NE(test.err.find("rules.yaml:14: rule 't.kill': positive example raised no alert: \"die rechter vermoorden\""),
            std::string::npos)
      << test.err;
  EXPECT_NE(test.err.find("rules.yaml:15: rule 't.kill': negative example raised an alert: \"rechter afmaken\""),
            std::string::npos)
      << test.err;
  EXPECT_NE(test.out.find("2 passed, 2 failed"), std::string::npos) << test.out;
  EXPECT_EQ(lint.exit_code, 0) << lint.err;
}

TEST(PatternsCommand, LintDemandsTwoExamplesEachWay) {
  const auto dir = std::filesystem::temp_directory_path() / ("wachtpost-plint-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir / "rules.yaml");
    out << "lang: en\n"
           "targets:\n  - role: judge\n    terms: ['judge']\n"
           "rules:\n"
           "  - id: t.kill\n    rev: 1\n    description: d\n    author: a\n    category: death_threat\n"
           "    severity: high\n    threat: ['kill']\n"
           "    examples:\n      positive: ['kill the judge']\n";
  }
  const auto lint = run_wachtpost("patterns lint " + dir.string());
  std::filesystem::remove_all(dir);
  EXPECT_EQ(lint.exit_code, 2);
  EXPECT_NE(lint.err.find("rules.yaml:6: rule 't.kill': needs at least 2 positive examples, has 1"), std::string::npos)
      << lint.err;
  EXPECT_NE(lint.err.find("needs at least 2 negative examples, has 0"), std::string::npos) << lint.err;
}

TEST(PatternsCommand, ExplainShowsNormalisedTextEveryMatchAndTheVerdict) {
  const auto dir = std::filesystem::temp_directory_path() / ("wachtpost-pexplain-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir / "rules.yaml");
    out << "lang: nl\n"
           "targets:\n  - role: judge\n    terms: ['rechter']\n"
           "exclusions:\n  - id: t.news\n    description: news\n    patterns: ['dreigde']\n"
           "rules:\n"
           "  - id: t.home\n    rev: 3\n    description: d\n    author: a\n    category: home_or_doxxing\n"
           "    severity: high\n    threat: ['weet ... waar ... woont']\n";
  }
  const auto hit = run_wachtpost("patterns explain --patterns " + dir.string() +
                                 " 'Ik WEET w00nt... nee: ik weet heus waar die rechter woont'");
  const auto silenced =
      run_wachtpost("patterns explain --patterns " + dir.string() + " 'hij dreigde: ik weet waar die rechter woont'");
  std::filesystem::remove_all(dir);
  EXPECT_EQ(hit.exit_code, 0) << hit.err;
  EXPECT_NE(hit.out.find("normalised: \"ik weet woont... nee: ik weet heus waar die rechter woont\""),
            std::string::npos)
      << hit.out;
  EXPECT_NE(hit.out.find("target role:judge \"rechter\" (rules.yaml:4)"), std::string::npos) << hit.out;
  EXPECT_NE(hit.out.find("threat-part t.home part 2 \"waar\""), std::string::npos) << hit.out;
  EXPECT_NE(hit.out.find("threat t.home \"weet heus waar die rechter woont\" (sequence, rules.yaml:16)"),
            std::string::npos)
      << hit.out;
  EXPECT_NE(hit.out.find("ALERT t.home rev 3 (home_or_doxxing, rules.yaml:10)"), std::string::npos) << hit.out;
  EXPECT_NE(silenced.out.find("exclusion t.news \"dreigde\" (rules.yaml:8)"), std::string::npos) << silenced.out;
  EXPECT_NE(silenced.out.find("no alert (1 threat match(es) silenced by an exclusion)"), std::string::npos)
      << silenced.out;
}

TEST(PatternsCommand, LearnWritesTheLearnedRuleAndKeepsWhatTheOperatorWrote) {
  const auto dir = std::filesystem::temp_directory_path() / ("wachtpost-plearn-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "rules");
  {
    std::ofstream out(dir / "rules" / "targets.yaml");
    out << "lang: nl\n"
           "targets:\n  - role: mayor\n    terms: ['burgemeester']\n"
           "rules:\n"
           "  - id: t.kill\n    rev: 1\n    description: d\n    author: a\n    category: death_threat\n"
           "    severity: high\n    threat: ['afmaken']\n";
  }
  auto write_corpus = [&](const std::string& name, const std::vector<std::pair<std::string, bool>>& posts) {
    std::ofstream out(dir / name);
    for (const auto& [text, alert] : posts) {
      out << R"({"lang":"nl","visibility":"public","text":")" << text << R"(","expect":{"alert":)"
          << (alert ? R"(true,"category":"arson_or_explosive")" : "false") << "}}\n";
    }
  };
  for (const std::string name : {"a.ndjson", "b.ndjson", "c.ndjson"}) {
    write_corpus(name, {{"burgemeester vannacht een vuurtje", true},
                        {"burgemeester benzine bij de deur", true},
                        {"burgemeester opent de markt", false},
                        {"burgemeester knipt een lint", false},
                        {"buurman vannacht een vuurtje", false}});  // names no target: not learned from
  }
  const std::string out_file = (dir / "rules" / "learned.yaml").string();
  const std::string learn = "patterns learn --lang nl --patterns " + (dir / "rules").string() + " --out " + out_file +
                            " " + (dir / "a.ndjson").string() + " " + (dir / "b.ndjson").string() + " " +
                            (dir / "c.ndjson").string();
  const auto first = run_wachtpost(learn);
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("from 12 posts naming a target, in 3 files"), std::string::npos) << first.out;
  std::string written = wachtpost::testing::read_file(out_file);
  EXPECT_NE(written.find("  id: nl.learned.cues\n  rev: 1\n"), std::string::npos) << written;
  EXPECT_NE(written.find("    'vuurtje': ["), std::string::npos) << written;
  EXPECT_EQ(written.find("buurman"), std::string::npos) << written;

  // The operator adds examples; relearning on the same corpus keeps them and the rev.
  const std::string examples =
      "  examples:\n    positive: ['burgemeester, vuurtje vannacht', 'burgemeester, benzine bij de deur']\n"
      "    negative: ['burgemeester opent de markt', 'buurman, vuurtje vannacht']\n";
  written.insert(written.find("  cues:\n"), examples);
  { std::ofstream(out_file) << written; }
  const auto again = run_wachtpost(learn);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(wachtpost::testing::read_file(out_file), written);
  const auto test = run_wachtpost("patterns test " + (dir / "rules").string());
  EXPECT_EQ(test.exit_code, 0) << test.err << test.out;

  // A changed corpus changes the weights: the rev goes up, the examples stay.
  write_corpus("c.ndjson", {{"burgemeester molotov vannacht", true}, {"burgemeester bakt taart", false}});
  const auto changed = run_wachtpost(learn);
  EXPECT_EQ(changed.exit_code, 0) << changed.err;
  const std::string relearned = wachtpost::testing::read_file(out_file);
  EXPECT_NE(relearned.find("  rev: 2\n"), std::string::npos) << relearned;
  EXPECT_NE(relearned.find(examples), std::string::npos) << relearned;
  std::filesystem::remove_all(dir);
}

// The reload gate offline: with a labelled corpus the set must also reach
// the recall and false-alert bars, and the figures are printed either way.
TEST(PatternsCommand, TestWithACorpusChecksTheDesksBars) {
  const std::string set = source_path("tests/data/replay/baseline");
  const std::string corpus = source_path("tests/data/replay/posts.ndjson");
  const auto strict = run_wachtpost("patterns test " + set + " --corpus " + corpus);
  EXPECT_NE(strict.exit_code, 0) << strict.out;
  EXPECT_NE(strict.out.find("labelled corpus: recall 0.500 (2 of 4 threats, bar 0.90), false alerts 0.000 (0 of 2"),
            std::string::npos)
      << strict.out;
  EXPECT_NE(strict.err.find("recall 0.500 on the labelled corpus (2 of 4 threats) is below 0.900"), std::string::npos)
      << strict.err;
  const auto lenient = run_wachtpost("patterns test " + set + " --corpus " + corpus + " --min-recall 0.5");
  EXPECT_EQ(lenient.exit_code, 0) << lenient.err;
  const auto missing = run_wachtpost("patterns test " + set + " --corpus /nonexistent.ndjson");
  EXPECT_NE(missing.exit_code, 0);
}
