// `wachtpost replay`: the exact alerts a candidate set adds, loses and
// changes against a baseline, on fixture sets with known differences
// (tests/data/replay/: fx.kill becomes critical and learns "vermoorden",
// fx.fire is withdrawn, fx.home is new).

#include <gtest/gtest.h>

#include "cli/command_runner.hpp"

using wachtpost::testing::run_wachtpost;
using wachtpost::testing::source_path;

namespace {

std::string replay(const std::string& extra = {}) {
  return "replay --baseline " + source_path("tests/data/replay/baseline") + " --patterns " +
         source_path("tests/data/replay/candidate") + " " + source_path("tests/data/replay/posts.ndjson") + extra;
}

}  // namespace

TEST(ReplayCommand, ShowsTheExactAddedLostAndChangedAlerts) {
  const auto result = run_wachtpost(replay());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto& out = result.out;
  EXPECT_NE(out.find("added (3):\n"
                     "  + r2 fx.kill critical death_threat [mayor] \"die burgemeester moet je vermoorden\"\n"
                     "  + r4 fx.home high home_or_doxxing [mayor] \"ik weet waar die burgemeester woont\"\n"
                     "  + r5 fx.home high home_or_doxxing [mayor] \"de burgemeester opende de markt, ik weet waar de "
                     "kraam staat\"\n"
                     "lost (1):\n"
                     "  - r3 fx.fire high arson_or_explosive [judge] \"het huis van die rechter gaat in de fik\"\n"
                     "changed (1):\n"
                     "  ~ r1 fx.kill high -> critical, death_threat -> death_threat, [judge] -> [judge] \"die rechter "
                     "moet je afmaken\"\n"),
            std::string::npos)
      << out;
  // The fixture is labelled: the candidate finds more and alerts once wrongly (r5).
  EXPECT_NE(out.find("labelled posts: 4 threats, 2 harmless; baseline precision 1.000 recall 0.500; candidate "
                     "precision 0.750 recall 0.750"),
            std::string::npos)
      << out;
}

TEST(ReplayCommand, JsonForMachines) {
  const auto result = run_wachtpost(replay(" --json"));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto lines = result.out_lines();
  ASSERT_EQ(lines.size(), 1U) << result.out;
  const std::string& json = lines[0];
  EXPECT_NE(json.find(R"("posts":6)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("lost":[{"post_id":"r3","rule":"fx.fire","severity":"high")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("changed":[{"post_id":"r1","rule":"fx.kill","before":{"severity":"high")"), std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("after":{"severity":"critical")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("candidate":{"pattern_set":"sha256:)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("precision":"0.750","recall":"0.750")"), std::string::npos) << json;
}

TEST(ReplayCommand, SameSetTwiceChangesNothingAndABrokenCandidateIsRefused) {
  const auto same =
      run_wachtpost("replay --baseline " + source_path("tests/data/replay/baseline") + " --patterns " +
                    source_path("tests/data/replay/baseline") + " " + source_path("tests/data/replay/posts.ndjson"));
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_NE(same.out.find("added (0):\nlost (0):\nchanged (0):\n"), std::string::npos) << same.out;

  const auto dir = std::filesystem::temp_directory_path() / ("wachtpost-replay-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "rules.yaml") << "lang: nl\nrules:\n  - id: x\n    rev: one\n"; }
  const auto broken =
      run_wachtpost("replay --patterns " + dir.string() + " " + source_path("tests/data/replay/posts.ndjson"));
  std::filesystem::remove_all(dir);
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_NE(broken.err.find("rules.yaml:"), std::string::npos) << broken.err;
}
