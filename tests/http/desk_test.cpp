// The desk's HTTP server: tokens, the feed with resume, acknowledgements,
// probes and limits; then the README's demo serving all of it.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "cli/pattern_source.hpp"
#include "http/alert_feed.hpp"
#include "http/bearer_tokens.hpp"
#include "http/desk_server.hpp"
#include "http/http_client.hpp"
#include "metrics/pipeline_metrics.hpp"
#include "runtime/kafka_test_support.hpp"
#include "runtime/pattern_reloader.hpp"

using namespace wachtpost;
using namespace wachtpost::testing;
namespace http = boost::beast::http;

namespace {

const char* const kOfficerToken = "officer-token-0123456789";

class DeskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tokens_ = std::make_shared<BearerTokens>(
        BearerTokens::parse(std::string("# desk\nofficer-a:") + kOfficerToken +
                                "\noperator-b:operator-token-9876543210\nadmin-c:admin:admin-token-c-0123456789\n"
                                "admin-d:admin:admin-token-d-0123456789\n",
                            "tokens"));
    metrics_->set_pattern_set("sha256:test", {"nl.kill"}, {"nl"}, 0);
    server_ = std::make_unique<DeskServer>(
        DeskServerOptions{.address = "127.0.0.1:0", .feed_poll = std::chrono::milliseconds(20)}, feed_, tokens_,
        metrics_, [this] { return ready_.load(); });
  }

  [[nodiscard]] unsigned short port() const { return server_->port(); }
  [[nodiscard]] std::map<std::string, std::string> auth() const {
    return {{"Authorization", std::string("Bearer ") + kOfficerToken}};
  }

  std::shared_ptr<AlertFeed> feed_ = std::make_shared<AlertFeed>(4);
  std::shared_ptr<BearerTokens> tokens_;
  std::shared_ptr<PipelineMetrics> metrics_ = std::make_shared<PipelineMetrics>();
  std::atomic<bool> ready_{false};
  std::unique_ptr<DeskServer> server_;
};

double metric(const PipelineMetrics& metrics, const std::string& name,
              const std::map<std::string, std::string>& labels) {
  for (const auto& family : metrics.registry()->Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      std::map<std::string, std::string> got;
      for (const auto& l : m.label) got[l.name] = l.value;
      if (got == labels) return m.counter.value + m.gauge.value;
    }
  }
  return -1;
}

}  // namespace

TEST(BearerTokensFile, NamesTheLineOfEveryMistake) {
  const auto tokens = BearerTokens::parse("# who may see the desk\n\nofficer-a:0123456789abcdef\n", "tokens.txt");
  EXPECT_EQ(tokens.name_of("0123456789abcdef"), "officer-a");
  EXPECT_EQ(tokens.name_of("0123456789abcdeX"), std::nullopt);
  EXPECT_EQ(tokens.name_of(""), std::nullopt);
  EXPECT_EQ(tokens.name_of_header("Bearer 0123456789abcdef"), "officer-a");
  EXPECT_EQ(tokens.name_of_header("bearer 0123456789abcdef"), "officer-a");
  EXPECT_EQ(tokens.name_of_header("Basic 0123456789abcdef"), std::nullopt);
  for (const auto& [content, message] : std::vector<std::pair<std::string, std::string>>{
           {"a:0123456789abcdef\nno colon here\n", "tokens.txt:2: expected name:token"},
           {"a:short\n", "tokens.txt:1: token of 'a' is shorter than 16"},
           {"a:0123456789abcdef\na:0123456789abcdeg\n", "tokens.txt:2: name 'a' is listed twice"},
           {"bad name:0123456789abcdef\n", "tokens.txt:1: a name is"},
           {"# nothing\n", "tokens.txt: no tokens"}}) {
    try {
      (void)BearerTokens::parse(content, "tokens.txt");
      ADD_FAILURE() << "accepted: " << content;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find("0123456789abcde"), std::string::npos)
          << "a token in an error: " << e.what();
    }
  }
}

TEST(BearerTokensFile, AnAdminRoleIsNamedBeforeTheToken) {
  const auto tokens = BearerTokens::parse(
      "ann:admin:admin-token-0123456789\nbob:officer:officer-token-0123456\ncid:plain-token-012345678\n", "t");
  const auto ann = tokens.holder_of_header("Bearer admin-token-0123456789");
  ASSERT_TRUE(ann.has_value());
  EXPECT_EQ(ann->name, "ann");
  EXPECT_EQ(ann->role, TokenRole::kAdmin);
  EXPECT_EQ(tokens.holder_of_header("Bearer officer-token-0123456")->role, TokenRole::kOfficer);
  EXPECT_EQ(tokens.holder_of_header("Bearer plain-token-012345678")->role, TokenRole::kOfficer);
  EXPECT_FALSE(tokens.holder_of_header("Bearer admin:admin-token-0123456789").has_value())
      << "the role is not part of the token";
  try {
    (void)BearerTokens::parse("ann:admin:short\n", "t");
    ADD_FAILURE() << "a short admin token was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("t:1: token of 'ann' is shorter than 16"), std::string::npos) << e.what();
  }
}

TEST_F(DeskTest, AdminRoutesNeedATokenAndTheirPostsTheAdminRole) {
  std::filesystem::path rules =
      std::filesystem::temp_directory_path() / ("wachtpost-admin-" + std::to_string(::getpid()));
  std::filesystem::create_directories(rules);
  std::filesystem::copy_file(std::string(WACHTPOST_SOURCE_DIR) + "/tests/data/replay/baseline/rules.yaml",
                             rules / "rules.yaml", std::filesystem::copy_options::overwrite_existing);
  const auto admin = [](const char* token) { return std::map<std::string, std::string>{{"Authorization", token}}; };
  const auto admin_c = admin("Bearer admin-token-c-0123456789");
  const auto admin_d = admin("Bearer admin-token-d-0123456789");
  // Nobody governs the set yet: the routes say so.
  EXPECT_EQ(http_request(port(), http::verb::get, "/admin/status", auth()).status, 503);

  ReloadOptions options;
  options.build = [rules] { return load_pattern_set({rules.string(), "", {}}); };
  options.source = rules.string();
  auto live = options.build();
  ReloadHooks hooks;
  hooks.activate = [](const std::shared_ptr<const PatternSet>&) {};
  auto reloader = std::make_shared<PatternReloader>(options, live, hooks);
  server_->set_admin(reloader);

  EXPECT_EQ(http_request(port(), http::verb::get, "/admin/status").status, 401);
  const auto status = http_request(port(), http::verb::get, "/admin/status", auth());
  EXPECT_EQ(status.status, 200);
  EXPECT_NE(status.body.find("\"policy\":\"four-eyes\""), std::string::npos) << status.body;
  EXPECT_NE(status.body.find("\"live\":{\"hash\":\"" + std::string(live->hash()) + "\""), std::string::npos);
  EXPECT_EQ(http_request(port(), http::verb::post, "/admin/reload", auth()).status, 403) << "an officer";
  EXPECT_EQ(http_request(port(), http::verb::get, "/admin/reload", admin_c).status, 405);
  EXPECT_EQ(http_request(port(), http::verb::post, "/admin/nothing", admin_c).status, 404);
  EXPECT_EQ(http_request(port(), http::verb::post, "/admin/approve", admin_c, "not json").status, 400);
  EXPECT_EQ(http_request(port(), http::verb::post, "/admin/approve", admin_c, R"({"hash":"sha256:00"})").status, 409)
      << "nothing is proposed";

  std::ofstream(rules / "more.yaml") << "lang: nl\nrules:\n  - id: fx.more\n    rev: 1\n    description: more\n"
                                        "    author: t\n    category: violence\n    severity: low\n"
                                        "    threat: ['neerknallen']\n    examples:\n"
                                        "      positive: ['die rechter neerknallen']\n"
                                        "      negative: ['die fazant neerknallen']\n";
  EXPECT_EQ(http_request(port(), http::verb::post, "/admin/propose", admin_c).status, 202);
  std::smatch pending;
  std::string body;
  for (int i = 0; i < 200; ++i) {
    body = http_request(port(), http::verb::get, "/admin/status", auth()).body;
    if (std::regex_search(body, pending,
                          std::regex("\"pending\":\\{\"hash\":\"(sha256:[0-9a-f]+)\",\"proposed_by\":\"admin-c\""))) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_FALSE(pending.empty()) << body;
  const std::string approve = "{\"hash\":\"" + std::string(pending[1]) + "\"}";
  const auto own = http_request(port(), http::verb::post, "/admin/approve", admin_c, approve);
  EXPECT_EQ(own.status, 403) << own.body;
  EXPECT_NE(own.body.find("the proposer cannot approve"), std::string::npos) << own.body;
  const auto approved = http_request(port(), http::verb::post, "/admin/approve", admin_d, approve);
  EXPECT_EQ(approved.status, 200) << approved.body;
  EXPECT_NE(http_request(port(), http::verb::get, "/admin/status", auth())
                .body.find("\"live\":{\"hash\":\"" + std::string(pending[1]) + "\""),
            std::string::npos);
  server_->set_admin(nullptr);
  reloader->shut_down();
  std::filesystem::remove_all(rules);
}

TEST_F(DeskTest, FeedNeedsAValidTokenAndProbesNeedNone) {
  EXPECT_EQ(http_request(port(), http::verb::get, "/alerts/stream").status, 401);
  EXPECT_EQ(
      http_request(port(), http::verb::get, "/alerts/stream", {{"Authorization", "Bearer wrong-token-0000000000"}})
          .status,
      401);
  EXPECT_EQ(http_request(port(), http::verb::post, "/alerts/x/ack", {}, R"({"disposition":"actioned"})").status, 401);
  EXPECT_EQ(http_request(port(), http::verb::get, "/healthz").status, 200);
  EXPECT_EQ(http_request(port(), http::verb::get, "/readyz").status, 503);
  ready_ = true;
  EXPECT_EQ(http_request(port(), http::verb::get, "/readyz").status, 200);
  const auto page = http_request(port(), http::verb::get, "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<title>wachtpost desk</title>"), std::string::npos);
  EXPECT_EQ(http_request(port(), http::verb::get, "/nothing").status, 404);
}

TEST_F(DeskTest, FeedStreamsAlertsAsTheyComeAndResumesAfterTheLastEventId) {
  std::thread publisher([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    feed_->publish_alert("a1", "nl.kill", R"({"alert_id":"a1"})");
  });
  const std::string first = read_feed(port(), kOfficerToken, "a1\"}", std::chrono::seconds(5));
  publisher.join();
  EXPECT_NE(first.find("Content-Type: text/event-stream"), std::string::npos) << first;
  EXPECT_NE(first.find("id: 1\nevent: alert\ndata: {\"alert_id\":\"a1\"}\n\n"), std::string::npos) << first;

  feed_->publish_alert("a2", "nl.kill", R"({"alert_id":"a2"})");
  const std::string resumed = read_feed(port(), kOfficerToken, "a2\"}", std::chrono::seconds(5), "1");
  EXPECT_EQ(resumed.find("\"a1\""), std::string::npos) << resumed;
  EXPECT_NE(resumed.find("id: 2\nevent: alert\ndata: {\"alert_id\":\"a2\"}"), std::string::npos) << resumed;

  // Past what the feed still holds (4 events): the desk is told it missed some.
  for (int i = 3; i <= 8; ++i) feed_->publish_alert("a" + std::to_string(i), "nl.kill", "{}");
  const std::string late = read_feed(port(), kOfficerToken, "id: 8", std::chrono::seconds(5), "2");
  EXPECT_NE(late.find("event: missed"), std::string::npos) << late;
  EXPECT_EQ(late.find("id: 4\n"), std::string::npos) << late;
  EXPECT_NE(late.find("id: 5\n"), std::string::npos) << late;
}

TEST_F(DeskTest, AcknowledgementIsAttributedToTheTokensNameAndCountedPerRule) {
  feed_->publish_alert("a1", "nl.kill", R"({"alert_id":"a1"})");
  const auto ack =
      http_request(port(), http::verb::post, "/alerts/a1/ack", auth(), R"({"disposition":"false_positive"})");
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_NE(ack.body.find("\"by\":\"officer-a\""), std::string::npos) << ack.body;
  EXPECT_NE(ack.body.find("\"disposition\":\"false_positive\""), std::string::npos) << ack.body;
  EXPECT_EQ(
      metric(*metrics_, "wachtpost_alert_dispositions_total", {{"rule", "nl.kill"}, {"disposition", "false_positive"}}),
      1.0);
  // Other desks see it on the feed.
  const std::string feed = read_feed(port(), kOfficerToken, "event: ack", std::chrono::seconds(5));
  EXPECT_NE(feed.find("\"by\":\"officer-a\""), std::string::npos) << feed;

  EXPECT_EQ(http_request(port(), http::verb::post, "/alerts/a1/ack", auth(), R"({"disposition":"maybe"})").status, 400);
  EXPECT_EQ(http_request(port(), http::verb::post, "/alerts/zz/ack", auth(), R"({"disposition":"actioned"})").status,
            404);
  EXPECT_EQ(http_request(port(), http::verb::get, "/alerts/a1/ack", auth()).status, 405);
}

TEST_F(DeskTest, OversizedRequestsAreRefused) {
  const std::string big(20 * 1024, 'x');
  EXPECT_EQ(http_request(port(), http::verb::get, "/healthz", {{"X-Padding", big}}).status, 431);
  feed_->publish_alert("a1", "nl.kill", "{}");
  EXPECT_EQ(http_request(port(), http::verb::post, "/alerts/a1/ack", auth(), big).status, 413);
}

TEST(PipelineMetricsLabels, StayBoundedWhateverThePostSays) {
  PipelineMetrics metrics;
  metrics.set_pattern_set("sha256:one", {"nl.kill"}, {"nl", "en"}, 1.0);
  metrics.count_alert({"death_threat", "critical", "judge", "xx", "made.up.rule"}, 0.2);
  EXPECT_EQ(metric(metrics, "wachtpost_alerts_total",
                   {{"category", "death_threat"}, {"severity", "critical"}, {"role", "judge"}, {"lang", "other"}}),
            1.0);
  EXPECT_EQ(metric(metrics, "wachtpost_rule_hits_total", {{"rule", "other"}}), 1.0);
  EXPECT_FALSE(metrics.count_disposition("nl.kill", "whatever"));
  metrics.set_pattern_set("sha256:two", {"nl.kill"}, {"nl"}, 2.0);
  EXPECT_EQ(metric(metrics, "wachtpost_pattern_set_info", {{"hash", "sha256:one"}}), -1.0);
  EXPECT_EQ(metric(metrics, "wachtpost_pattern_set_info", {{"hash", "sha256:two"}}), 1.0);
}

// The issue's acceptance, against the README's demo: at least ten wachtpost_
// series and a growing consumed counter; the feed refuses a missing token and
// streams alerts with one; an acknowledgement shows in the metrics.
TEST(DeskAgainstTheDemo, MetricsGrowAndTheFeedStreamsAlertsToATokenOnly) {
  TempDir dir;
  {
    std::ofstream tokens(dir.file("tokens"));
    tokens << "officer-a:" << kOfficerToken << "\n";
  }
  Process demo({WACHTPOST_BINARY, "demo", "--rate", "200", "--http-addr", "127.0.0.1:0", "--metrics-addr",
                "127.0.0.1:0", "--tokens", dir.file("tokens")},
               dir.file("out"), dir.file("err"));
  std::smatch desk;
  std::smatch metrics_at;
  const std::regex desk_re("desk at http://127\\.0\\.0\\.1:([0-9]+)/");
  const std::regex metrics_re("metrics at http://127\\.0\\.0\\.1:([0-9]+)/metrics");
  std::string err;
  for (int i = 0; i < 300; ++i) {
    err = demo.err();
    if (std::regex_search(err, desk, desk_re) && std::regex_search(err, metrics_at, metrics_re)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(std::regex_search(err, desk, desk_re)) << err;
  ASSERT_TRUE(std::regex_search(err, metrics_at, metrics_re)) << err;
  const auto desk_port = static_cast<unsigned short>(std::stoi(desk[1]));
  const auto metrics_port = static_cast<unsigned short>(std::stoi(metrics_at[1]));

  auto consumed = [&] {
    const auto page = http_request(metrics_port, http::verb::get, "/metrics").body;
    std::smatch m;
    return std::regex_search(page, m, std::regex("\nwachtpost_posts_consumed_total ([0-9.e+]+)")) ? std::stod(m[1])
                                                                                                  : -1.0;
  };
  double before = consumed();
  for (int i = 0; i < 300 && before <= 0; ++i) {  // the group forms first
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    before = consumed();
  }
  const std::string feed = read_feed(desk_port, kOfficerToken, "event: alert", std::chrono::seconds(20));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double after = consumed();
  EXPECT_GT(before, 0.0);
  EXPECT_GT(after, before);
  const auto page = http_request(metrics_port, http::verb::get, "/metrics").body;
  std::set<std::string> series;
  std::istringstream lines(page);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("wachtpost_")) series.insert(line.substr(0, line.find(' ')));
  }
  EXPECT_GE(series.size(), 10U) << page;

  EXPECT_EQ(http_request(desk_port, http::verb::get, "/alerts/stream").status, 401);
  std::smatch alert_id;
  ASSERT_TRUE(std::regex_search(feed, alert_id, std::regex("\"alert_id\":\"([0-9a-f]+)\""))) << feed;
  const auto ack =
      http_request(desk_port, http::verb::post, "/alerts/" + std::string(alert_id[1]) + "/ack",
                   {{"Authorization", std::string("Bearer ") + kOfficerToken}}, R"({"disposition":"actioned"})");
  EXPECT_EQ(ack.status, 200) << ack.body;
  EXPECT_NE(http_request(metrics_port, http::verb::get, "/metrics").body.find("wachtpost_alert_dispositions_total{"),
            std::string::npos);
  // No token appears in the logs.
  demo.signal(SIGTERM);
  demo.wait(std::chrono::seconds(20));
  EXPECT_EQ(demo.err().find(kOfficerToken), std::string::npos);
}

// deploy/ (Prometheus alert rules, the Grafana dashboard, scrape configs)
// names metrics; a running instance must export every one of them.
TEST(DeployFolder, EveryMetricItNamesIsExportedByARunningInstance) {
  std::set<std::string> named;
  const std::regex name_re("wachtpost_[a-z0-9_]+");
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(std::string(WACHTPOST_SOURCE_DIR) + "/deploy")) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path());
    const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (auto it = std::sregex_iterator(content.begin(), content.end(), name_re); it != std::sregex_iterator(); ++it) {
      std::string name = it->str();
      for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
        if (name.ends_with(suffix) && name != "wachtpost_posts_consumed_total") {
          name = name.substr(0, name.size() - suffix.size());
        }
      }
      named.insert(name);
    }
  }
  ASSERT_GE(named.size(), 10U) << "deploy/ names hardly any metric";

  TempDir dir;
  Process demo({WACHTPOST_BINARY, "demo", "--rate", "100", "--http-addr", "", "--metrics-addr", "127.0.0.1:0"},
               dir.file("out"), dir.file("err"));
  const std::regex metrics_re("metrics at http://127\\.0\\.0\\.1:([0-9]+)/metrics");
  std::smatch port;
  std::string err;
  for (int i = 0; i < 300 && !std::regex_search(err, port, metrics_re); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    err = demo.err();
  }
  ASSERT_TRUE(std::regex_search(err, port, metrics_re)) << err;
  std::set<std::string> exported;
  const std::regex type_re("# TYPE (wachtpost_[a-z0-9_]+) ");
  for (int i = 0; i < 200; ++i) {  // until the group formed and alerts flowed
    const auto page = http_request(static_cast<unsigned short>(std::stoi(port[1])), http::verb::get, "/metrics").body;
    exported.clear();
    for (auto it = std::sregex_iterator(page.begin(), page.end(), type_re); it != std::sregex_iterator(); ++it) {
      exported.insert((*it)[1]);
    }
    if (page.find("\nwachtpost_alerts_total{") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (const auto& name : named)
    EXPECT_TRUE(exported.contains(name)) << name << " is named in deploy/ but not exported";
}
