// `wachtpost demo`, the README's main command: a mock cluster, the bundled
// sample stream and the processor in one process; alerts on stdout.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "cli/command_runner.hpp"
#include "runtime/kafka_test_support.hpp"

using namespace wachtpost::testing;

TEST(DemoCommand, PrintsTheSampleStreamsAlertsOncePerPass) {
  // Two passes over the sample: each pass has its own post ids, so its own alerts.
  const auto demo = run_wachtpost("demo --loops 2 --rate 500 --http-addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0");
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  const auto scan = run_wachtpost("scan --protected " + source_path("patterns/protected.example.yaml") + " " +
                                  source_path("patterns/examples/posts.ndjson"));
  const auto scanned = scan.out_lines();
  ASSERT_FALSE(scanned.empty());

  const auto lines = demo.out_lines();
  EXPECT_EQ(lines.size(), 2 * scanned.size()) << demo.err;
  std::set<std::string> ids;
  for (const auto& line : lines) {
    const auto at = line.find("\"alert_id\":\"");
    ASSERT_NE(at, std::string::npos) << line;
    ids.insert(line.substr(at + 12, 32));
  }
  EXPECT_EQ(ids.size(), lines.size()) << "an alert was printed twice";
  // Pass 2 carries the post ids of pass 1 with a suffix.
  EXPECT_NE(demo.out.find("\"post_id\":\"s-0006.2\""), std::string::npos);
  EXPECT_NE(demo.err.find("mock Kafka cluster at 127.0.0.1:"), std::string::npos) << demo.err;
}

namespace {

// Waits until `text()` holds `needle` `count` times.
template <typename Text>
std::string wait_for(Text text, const std::string& needle, std::size_t count = 1) {
  std::string got;
  for (int i = 0; i < 600; ++i) {
    got = text();
    std::size_t n = 0;
    for (auto at = got.find(needle); at != std::string::npos; at = got.find(needle, at + 1)) ++n;
    if (n >= count) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return got;
}

}  // namespace

// Issue 6, acceptance: during the steady demo stream (single-operator
// policy), a SIGHUP with an added rule makes new alerts carry the new hash
// within seconds and every pass of the stream is still matched completely,
// once; a broken rule file is refused and audited, and the stream goes on.
TEST(DemoCommand, SighupActivatesAnAddedRuleWithoutAGapAndRefusesABrokenFile) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("rules"));
  std::filesystem::copy_file(source_path("tests/data/replay/baseline/rules.yaml"), dir.file("rules/rules.yaml"));
  Process demo({WACHTPOST_BINARY, "demo", "--rate", "400", "--patterns", dir.file("rules"), "--audit-log",
                dir.file("audit.jsonl"), "--http-addr", "", "--metrics-addr", ""},
               dir.file("demo.out"), dir.file("demo.err"));
  // The sample stream raises two alerts per pass under the fixture rules.
  const std::string before = wait_for([&] { return demo.out(); }, "\"rule\":\"fx.", 4);
  ASSERT_NE(before.find("\"rule\":\"fx.kill\""), std::string::npos) << demo.err();
  EXPECT_NE(demo.err().find("reload policy: single-operator"), std::string::npos) << demo.err();

  // A new target role and a rule on it: one post of each pass fits.
  std::ofstream(dir.file("rules/dead.yaml"))
      << "lang: nl\ntargets:\n  - role: minister\n    terms: ['ministers?']\nrules:\n  - id: fx.dead\n    rev: 1\n"
         "    description: dead\n    author: test\n    category: death_threat\n    severity: high\n"
         "    threat: ['gaat dood']\n    examples:\n      positive: ['die minister gaat dood', 'die rechter gaat "
         "dood']\n"
         "      negative: ['mijn plant gaat dood', 'de batterij gaat dood']\n";
  const auto signalled = std::chrono::steady_clock::now();
  demo.signal(SIGHUP);
  const std::string out = wait_for([&] { return demo.out(); }, "\"rule\":\"fx.dead\"", 3);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count();
  ASSERT_NE(out.find("\"rule\":\"fx.dead\""), std::string::npos) << demo.err();
  EXPECT_LT(seconds, 10.0) << "the new set's alerts arrive within seconds";

  std::ofstream(dir.file("rules/broken.yaml")) << "lang: nl\nrules:\n  - id: fx.broken\n    rev: [\n";
  demo.signal(SIGHUP);
  const std::string audit = wait_for([&] { return read_text(dir.file("audit.jsonl")); }, "\"result\":\"refused\"");
  const std::size_t printed = demo.out().size();
  wait_for([&] { return demo.out().substr(printed); }, "\"rule\":\"fx.dead\"", 4);  // the stream goes on
  demo.signal(SIGTERM);
  ASSERT_EQ(demo.wait(std::chrono::seconds(30)), 0) << demo.err();

  const auto audit_lines = lines_of(audit);
  ASSERT_EQ(audit_lines.size(), 2U) << audit;
  const std::regex hashes("\"old_hash\":\"(sha256:[0-9a-f]+)\",\"new_hash\":\"(sha256:[0-9a-f]+)\"");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(audit_lines[0], m, hashes)) << audit_lines[0];
  const std::string old_hash = m[1];
  const std::string new_hash = m[2];
  EXPECT_NE(audit_lines[0].find("\"result\":\"activated\""), std::string::npos) << audit_lines[0];
  EXPECT_NE(audit_lines[1].find("\"result\":\"refused\""), std::string::npos) << audit_lines[1];
  EXPECT_NE(audit_lines[1].find("broken.yaml:"), std::string::npos) << audit_lines[1];

  // In print (commit) order the hash switches once, and no alert comes
  // twice. Every pass but the last few has each of its alerts once: two
  // before the switch, three after, and a pass across the switch two or
  // three. The last few may be cut: SIGTERM finishes the batch in flight, and
  // a batch goes as soon as nothing is queued (batch.linger_ms), so the
  // posts of the last passes can stand read on one partition and unread on
  // another. For the same reason the switch, which comes between two
  // batches, can fall in different passes on different partitions.
  const std::regex fields(
      R"re("post_id":"s-[0-9]+(?:\.([0-9]+))?".*"rule":"([a-z.]+)".*"pattern_set":"(sha256:[0-9a-f]+)")re");
  std::map<int, std::map<std::string, int>> by_pass;
  bool switched = false;
  for (const auto& line : lines_of(demo.out())) {
    ASSERT_TRUE(std::regex_search(line, m, fields)) << line;
    const int pass = m[1].matched ? std::stoi(m[1]) : 1;
    const std::string hash = m[3];
    ASSERT_TRUE(hash == old_hash || hash == new_hash) << line;
    if (hash == new_hash) switched = true;
    EXPECT_FALSE(switched && hash == old_hash) << "back to the old set: " << line;
    EXPECT_TRUE(m[2] != "fx.dead" || hash == new_hash) << line;
    ++by_pass[pass][m[2]];
  }
  constexpr int kMayBeCut = 3;
  ASSERT_GE(by_pass.size(), 6U);
  const int last = by_pass.rbegin()->first;
  int on_new = 0;  // whole passes with the new rule's alert
  std::string passes;
  for (int pass = 1; pass <= last; ++pass) {
    for (const char* rule : {"fx.kill", "fx.fire", "fx.dead"}) EXPECT_LE(by_pass[pass][rule], 1) << "pass " << pass;
    passes += std::to_string(pass) + ": kill " + std::to_string(by_pass[pass]["fx.kill"]) + ", fire " +
              std::to_string(by_pass[pass]["fx.fire"]) + ", dead " + std::to_string(by_pass[pass]["fx.dead"]) + "\n";
    if (pass > last - kMayBeCut) continue;
    EXPECT_EQ(by_pass[pass]["fx.kill"], 1) << "pass " << pass;
    EXPECT_EQ(by_pass[pass]["fx.fire"], 1) << "pass " << pass;
    on_new += by_pass[pass]["fx.dead"];
  }
  EXPECT_GE(on_new, 2) << "whole passes with the new set's alert\n" << passes;
}
