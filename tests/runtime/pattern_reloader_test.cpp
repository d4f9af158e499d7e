// The reload gate and the four-eyes policy, on the real loader, compiler and
// gate: proposals, approvals, refusals and the audit trail they leave. The
// stream side (a swap under load, the shadow topic) is in stream_test.cpp.

#include "runtime/pattern_reloader.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "cli/pattern_source.hpp"
#include "runtime/kafka_test_support.hpp"

namespace wachtpost {
namespace {

const std::string kSource = WACHTPOST_SOURCE_DIR;

constexpr std::string_view kHomeRule =
    "lang: nl\nrules:\n  - id: fx.home\n    rev: 1\n    description: where someone lives\n"
    "    author: test\n    category: home_or_doxxing\n    severity: high\n    threat: ['weet waar']\n"
    "    examples:\n      positive: ['ik weet waar die rechter', 'weet waar burgemeester']\n"
    "      negative: ['weet waar de bakker is', 'ik weet waar het ligt']\n";

using testing::lines_of;
using testing::read_text;
using testing::TempDir;

class PatternReloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.file("rules"));
    std::filesystem::copy_file(kSource + "/tests/data/replay/baseline/rules.yaml", dir_.file("rules/rules.yaml"));
    live_ = load_pattern_set({dir_.file("rules"), "", {}});
  }

  std::unique_ptr<PatternReloader> start(ReloadPolicy policy, std::vector<std::string> corpus = {},
                                         unsigned watch_seconds = 0) {
    ReloadOptions options;
    options.gate.policy = policy;
    options.gate.audit_log = dir_.file("audit.jsonl");
    options.gate.corpus = std::move(corpus);
    options.gate.watch_seconds = watch_seconds;
    const std::string rules = dir_.file("rules");
    options.build = [rules] { return load_pattern_set({rules, "", {}}); };
    options.source = rules;
    options.watched = {rules};
    ReloadHooks hooks;
    hooks.activate = [this](std::shared_ptr<const PatternSet> set) {
      const std::lock_guard lock(mutex_);
      activated_.push_back(std::string(set->hash()));
    };
    hooks.shadow = [this](std::shared_ptr<const PatternSet> set) {
      const std::lock_guard lock(mutex_);
      shadowed_.push_back(set ? std::string(set->hash()) : std::string("none"));
    };
    return std::make_unique<PatternReloader>(std::move(options), live_, std::move(hooks));
  }

  void add_home_rule() { std::ofstream(dir_.file("rules/home.yaml")) << kHomeRule; }

  // Waits until the audit log has `count` lines.
  std::vector<std::string> audit_lines(std::size_t count) {
    for (int i = 0; i < 600 && lines_of(read_text(dir_.file("audit.jsonl"))).size() < count; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return lines_of(read_text(dir_.file("audit.jsonl")));
  }

  std::vector<std::string> activated() {
    const std::lock_guard lock(mutex_);
    return activated_;
  }
  std::vector<std::string> shadowed() {
    const std::lock_guard lock(mutex_);
    return shadowed_;
  }

  TempDir dir_;
  std::shared_ptr<const PatternSet> live_;
  std::mutex mutex_;
  std::vector<std::string> activated_;
  std::vector<std::string> shadowed_;
};

std::string field(const std::string& json_line, const std::string& key) {
  const auto at = json_line.find("\"" + key + "\":\"");
  if (at == std::string::npos) return {};
  const auto start = at + key.size() + 4;
  return json_line.substr(start, json_line.find('"', start) - start);
}

TEST_F(PatternReloaderTest, FourEyesActivatesOnlyWhenAnotherOperatorApprovesTheExactHash) {
  auto reloader = start(ReloadPolicy::kFourEyes);
  add_home_rule();
  const AdminReply building = reloader->request_build("alice", true);
  EXPECT_EQ(building.status, 202U);
  auto audit = audit_lines(1);
  ASSERT_EQ(audit.size(), 1U);
  EXPECT_EQ(field(audit[0], "result"), "proposed") << audit[0];
  EXPECT_EQ(field(audit[0], "operator"), "alice");
  EXPECT_EQ(field(audit[0], "old_hash"), live_->hash());
  const std::string proposed = field(audit[0], "new_hash");
  ASSERT_FALSE(proposed.empty());
  ASSERT_NE(proposed, live_->hash());
  EXPECT_TRUE(activated().empty()) << "four eyes: a reload only proposes";
  EXPECT_EQ(shadowed(), std::vector<std::string>{proposed}) << "the proposal runs in shadow";
  EXPECT_NE(reloader->status_json().find("\"pending\":{\"hash\":\"" + proposed + "\",\"proposed_by\":\"alice\""),
            std::string::npos)
      << reloader->status_json();

  // The proposer cannot approve; nobody can approve another hash.
  const AdminReply own = reloader->approve("alice", proposed);
  EXPECT_EQ(own.status, 403U) << own.json;
  const AdminReply other_hash = reloader->approve("bob", live_->hash());
  EXPECT_EQ(other_hash.status, 409U) << other_hash.json;
  EXPECT_TRUE(activated().empty());

  const AdminReply approved = reloader->approve("bob", proposed);
  EXPECT_EQ(approved.status, 200U) << approved.json;
  EXPECT_EQ(activated(), std::vector<std::string>{proposed});
  EXPECT_EQ(shadowed(), (std::vector<std::string>{proposed, "none"})) << "the shadow run ends when the set is live";
  EXPECT_NE(reloader->status_json().find("\"live\":{\"hash\":\"" + proposed + "\""), std::string::npos);
  EXPECT_NE(reloader->status_json().find("\"pending\":null"), std::string::npos);

  audit = audit_lines(5);
  ASSERT_EQ(audit.size(), 5U);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"alice", "proposed"}, {"alice", "refused"}, {"bob", "refused"}, {"bob", "approved"}, {"bob", "activated"}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(field(audit[i], "operator"), expected[i].first) << audit[i];
    EXPECT_EQ(field(audit[i], "result"), expected[i].second) << audit[i];
    EXPECT_EQ(field(audit[i], "policy"), "four-eyes") << audit[i];
    EXPECT_FALSE(field(audit[i], "time").empty()) << audit[i];
  }
  EXPECT_NE(audit[1].find("the proposer cannot approve their own set"), std::string::npos) << audit[1];
  EXPECT_EQ(field(audit[4], "old_hash"), live_->hash());
  EXPECT_EQ(field(audit[4], "new_hash"), proposed);
}

TEST_F(PatternReloaderTest, SingleOperatorActivatesAPassingSetAndRefusesABrokenOneKeepingTheLiveSet) {
  auto reloader = start(ReloadPolicy::kSingleOperator);
  add_home_rule();
  reloader->request("local:SIGHUP", true);
  auto audit = audit_lines(1);
  ASSERT_EQ(audit.size(), 1U);
  EXPECT_EQ(field(audit[0], "result"), "activated") << audit[0];
  const std::string first = field(audit[0], "new_hash");
  EXPECT_EQ(activated(), std::vector<std::string>{first});
  EXPECT_TRUE(shadowed().empty());

  // A rule whose positive example does not fire: compiled, but refused by the gate.
  std::ofstream(dir_.file("rules/weak.yaml"))
      << "lang: nl\nrules:\n  - id: fx.weak\n    rev: 1\n    description: weak\n    author: test\n"
         "    category: violence\n    severity: low\n    threat: ['slaan']\n"
         "    examples:\n      positive: ['die rechter moet je slaan', 'ik ga die burgemeester schoppen']\n"
         "      negative: ['de klok slaan', 'een brug slaan']\n";
  reloader->request("local:SIGHUP", true);
  audit = audit_lines(2);
  ASSERT_EQ(audit.size(), 2U);
  EXPECT_EQ(field(audit[1], "result"), "refused") << audit[1];
  EXPECT_NE(audit[1].find("weak.yaml:"), std::string::npos) << "the reason names the file and line: " << audit[1];
  EXPECT_NE(audit[1].find("positive example raised no alert"), std::string::npos) << audit[1];
  EXPECT_EQ(activated().size(), 1U) << "the live set stays";
  EXPECT_NE(reloader->status_json().find("\"live\":{\"hash\":\"" + first + "\""), std::string::npos);
  EXPECT_NE(reloader->status_json().find("\"passed\":false"), std::string::npos) << reloader->status_json();

  // A file that does not parse: refused with its file:line, nothing built.
  std::filesystem::remove(dir_.file("rules/weak.yaml"));
  std::ofstream(dir_.file("rules/broken.yaml")) << "lang: nl\nrules:\n  - id: fx.broken\n    rev: [\n";
  reloader->request("local:SIGHUP", true);
  audit = audit_lines(3);
  ASSERT_EQ(audit.size(), 3U);
  EXPECT_EQ(field(audit[2], "result"), "refused") << audit[2];
  EXPECT_NE(audit[2].find("broken.yaml:"), std::string::npos) << audit[2];
  EXPECT_EQ(activated().size(), 1U);
}

TEST_F(PatternReloaderTest, TheLabelledCorpusGatesASetThatMissesThreats) {
  // Four labelled posts: the live set finds both threats; a set without
  // fx.fire finds one of two, below the 0.9 bar.
  {
    std::ofstream corpus(dir_.file("corpus.ndjson"));
    const char* posts[][2] = {{"die rechter afmaken", "true"},
                              {"die burgemeester in de fik", "true"},
                              {"de markt is open", "false"},
                              {"kampvuur in de fik", "false"}};
    int n = 0;
    for (const auto& [text, expect] : posts) {
      corpus << R"({"id":"c-)" << ++n << R"(","platform":"x","url":"https://x.example/1","created_at":)"
             << R"("2026-11-01T10:00:00Z","lang":"nl","visibility":"public","text":")" << text
             << R"(","author":{"id":"1","handle":"a"},"expect":{"alert":)" << expect << "}}\n";
    }
  }
  auto reloader = start(ReloadPolicy::kSingleOperator, {dir_.file("corpus.ndjson")});
  std::string rules = read_text(dir_.file("rules/rules.yaml"));
  rules = rules.substr(0, rules.find("  - id: fx.fire"));
  std::ofstream(dir_.file("rules/rules.yaml")) << rules;
  reloader->request("carol", true);
  const auto audit = audit_lines(1);
  ASSERT_EQ(audit.size(), 1U);
  EXPECT_EQ(field(audit[0], "result"), "refused") << audit[0];
  EXPECT_NE(audit[0].find("recall 0.500 on the labelled corpus (1 of 2 threats) is below 0.900"), std::string::npos)
      << audit[0];
  EXPECT_TRUE(activated().empty());
}

TEST_F(PatternReloaderTest, AFileWatchProposesAChangedSetAndAWithdrawalEndsItsShadowRun) {
  auto reloader = start(ReloadPolicy::kFourEyes, {}, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a later modification time
  add_home_rule();
  auto audit = audit_lines(1);
  ASSERT_EQ(audit.size(), 1U);
  EXPECT_EQ(field(audit[0], "operator"), "local:file-watch") << audit[0];
  EXPECT_EQ(field(audit[0], "result"), "proposed") << audit[0];
  const std::string proposed = field(audit[0], "new_hash");

  const AdminReply withdrawn = reloader->withdraw("bob");
  EXPECT_EQ(withdrawn.status, 200U) << withdrawn.json;
  EXPECT_EQ(shadowed(), (std::vector<std::string>{proposed, "none"}));
  EXPECT_EQ(reloader->approve("bob", proposed).status, 409U) << "nothing is pending any more";
  audit = audit_lines(3);
  ASSERT_EQ(audit.size(), 3U);
  EXPECT_EQ(field(audit[1], "result"), "withdrawn");
  EXPECT_EQ(field(audit[2], "result"), "refused");
  // An unchanged folder proposes nothing more.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(lines_of(read_text(dir_.file("audit.jsonl"))).size(), 3U);
  EXPECT_TRUE(activated().empty());
}

}  // namespace
}  // namespace wachtpost
