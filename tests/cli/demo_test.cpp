// `wachtpost demo`, the README's main command: a mock cluster, the bundled
// sample stream and the processor in one process; alerts on stdout.

#include <gtest/gtest.h>

#include <set>

#include "cli/command_runner.hpp"

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
