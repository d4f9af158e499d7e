// `wachtpost run` against librdkafka's mock cluster over TCP: the alerts it
// writes must be exactly the ones `wachtpost scan` gives on the same posts,
// none twice, whatever happens in between (broker down, request errors,
// SIGKILL and restart, an instance of three killed), and every bad message
// must land in the dead-letter topic with its reason.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "http/http_client.hpp"
#include "runtime/kafka_test_support.hpp"
#include "runtime/mock_cluster.hpp"

using namespace wachtpost;
using namespace wachtpost::testing;

namespace {

const std::string kSource = WACHTPOST_SOURCE_DIR;
const std::string kBinary = WACHTPOST_BINARY;
const std::string kRegistry = kSource + "/patterns/protected.example.yaml";
constexpr int kInputPartitions = 12;
constexpr int kAlertPartitions = 6;
constexpr int kDeadLetterPartitions = 3;
const std::string kPosts = "it.posts";
const std::string kAlerts = "it.alerts";
const std::string kDeadLetters = "it.dlq";
const std::string kShadow = "it.alerts.shadow";
constexpr std::size_t kMaxPostBytes = 8192;

// The labelled corpus, `copies` times with distinct post ids.
std::vector<std::string> make_posts(int copies) {
  std::vector<std::string> corpus;
  for (const char* file : {"/tests/data/labelled/nl.ndjson", "/tests/data/labelled/en.ndjson"}) {
    for (auto& line : lines_of(read_text(kSource + file))) corpus.push_back(std::move(line));
  }
  std::vector<std::string> posts;
  for (int copy = 0; copy < copies; ++copy) {
    for (const auto& line : corpus) {
      std::string post = line;
      const auto key = post.find("\"id\"");
      const auto close = post.find('"', post.find('"', post.find(':', key) + 1) + 1);
      post.insert(close, "." + std::to_string(copy));
      posts.push_back(std::move(post));
    }
  }
  return posts;
}

// Twenty messages that must become dead letters, one reason or another.
std::vector<std::string> make_bad_lines() {
  const std::string ok_prefix =
      R"({"id":"bad-X","platform":"x","url":"https://x.example/1","created_at":"2026-11-20T10:00:00Z","visibility":"public",)";
  std::vector<std::string> bad = {
      "this is not json",
      "<html>502 Bad Gateway</html>",
      "[1, 2, 3]",
      R"({"id":"bad-1","platform":"x","text":"ik maak die rechter af")",
      R"({"id":"bad-2","platform":"x","author":{"id":"a"})",
      R"({"id":"bad-3","text":"cut)",
      ok_prefix + "\"text\":\"ik maak die rechter \xff af\"}",
      ok_prefix + "\"text\":\"overlong \xC0\xAF\"}",
      ok_prefix + "\"text\":\"cut \xE2\x82\"}",
      ok_prefix + "\"text\":\"" + std::string(kMaxPostBytes, 'a') + "\"}",
      ok_prefix + "\"text\":\"" + std::string(2 * kMaxPostBytes, 'b') + "\"}",
      ok_prefix + "\"text\":\"" + std::string(kMaxPostBytes + 100, 'c') + "\"}",
      R"({"id":"bad-4","platform":"x","url":"u","created_at":"2026-11-20T10:00:00Z","visibility":"public"})",
      R"({"id":"bad-5","platform":"x","url":"u","visibility":"public","text":"no date"})",
      ok_prefix + "\"text\":42}",
      ok_prefix + "\"text\":[\"a\"]}",
      ok_prefix + "\"text\":\"t\",\"extra\":" + std::string(100, '[') + std::string(100, ']') + "}",
      ok_prefix + "\"text\":\"a\",\"text\":\"b\"}",
      ok_prefix + "\"text\":\"t\",\"created_at\":\"yesterday\"}",
      "",
  };
  return bad;
}

std::string strip_detected_at(const std::string& json) {
  static const std::regex detected(R"("detected_at":"[^"]*",)");
  return std::regex_replace(json, detected, "");
}

class StreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = std::make_unique<MockCluster>(3);
    cluster_->create_topic(kPosts, kInputPartitions, 3);
    cluster_->create_topic(kAlerts, kAlertPartitions, 3);
    cluster_->create_topic(kDeadLetters, kDeadLetterPartitions, 3);
    cluster_->create_topic(kShadow, kAlertPartitions, 3);
    std::ofstream(dir_.file("run.yaml")) << "max_post_bytes: " << kMaxPostBytes
                                         << "\ntopics: {shadow_alerts: " << kShadow << "}"
                                         << "\nbatch: {max_messages: 200, max_ms: 50}\n"
                                            "consumer: {session.timeout.ms: 6000, heartbeat.interval.ms: 500}\n";
  }

  std::unique_ptr<Process> start(const std::string& instance, bool exit_at_eof, int run = 0,
                                 const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {kBinary,          "run",        "--config",      dir_.file("run.yaml"),
                                     "--brokers",      bootstrap(),  "--input-topic", kPosts,
                                     "--alert-topic",  kAlerts,      "--dlq-topic",   kDeadLetters,
                                     "--group",        "it-group",   "--protected",   kRegistry,
                                     "--instance",     instance,     "--http-addr",   "127.0.0.1:0",
                                     "--metrics-addr", "127.0.0.1:0"};
    if (exit_at_eof) args.emplace_back("--exit-at-eof");
    args.insert(args.end(), extra.begin(), extra.end());
    const std::string name = instance + "." + std::to_string(run);
    return std::make_unique<Process>(args, dir_.file(name + ".out"), dir_.file(name + ".err"));
  }

  const std::string& bootstrap() const { return cluster_->bootstrap_servers(); }

  // What scan mode gives on the same posts: alert JSON without detected_at, by alert id.
  std::multiset<std::string> scan_alerts(const std::vector<std::string>& posts) {
    {
      std::ofstream file(dir_.file("posts.ndjson"), std::ios::binary);
      for (const auto& post : posts) file << post << '\n';
    }
    Process scan({kBinary, "scan", "--protected", kRegistry, dir_.file("posts.ndjson")}, dir_.file("scan.out"),
                 dir_.file("scan.err"));
    EXPECT_EQ(scan.wait(std::chrono::seconds(120)), 0) << scan.err();
    std::multiset<std::string> out;
    for (const auto& line : lines_of(scan.out())) out.insert(strip_detected_at(line));
    return out;
  }

  std::multiset<std::string> topic_alerts() {
    std::multiset<std::string> out;
    for (const auto& record : read_topic(bootstrap(), kAlerts, kAlertPartitions)) {
      out.insert(strip_detected_at(record.value));
    }
    return out;
  }

  void expect_same_alerts(const std::multiset<std::string>& expected) {
    const auto got = topic_alerts();
    EXPECT_EQ(got.size(), expected.size());
    std::set<std::string> unique(got.begin(), got.end());
    EXPECT_EQ(unique.size(), got.size()) << "an alert was written twice";
    std::vector<std::string> missing;
    std::set_difference(expected.begin(), expected.end(), got.begin(), got.end(), std::back_inserter(missing));
    EXPECT_TRUE(missing.empty()) << missing.size()
                                 << " missing, first: " << (missing.empty() ? "" : missing[0].substr(0, 300));
    std::vector<std::string> extra;
    std::set_difference(got.begin(), got.end(), expected.begin(), expected.end(), std::back_inserter(extra));
    EXPECT_TRUE(extra.empty()) << extra.size()
                               << " unexpected, first: " << (extra.empty() ? "" : extra[0].substr(0, 300));
  }

  void expect_dead_letters(const std::vector<std::string>& bad) {
    const auto records = read_topic(bootstrap(), kDeadLetters, kDeadLetterPartitions);
    std::multiset<std::string> got;
    for (const auto& record : records) {
      got.insert(record.value);
      EXPECT_FALSE(record.headers.at("wachtpost.reason").empty());
      EXPECT_EQ(record.headers.at("wachtpost.source.topic"), kPosts);
      EXPECT_FALSE(record.headers.at("wachtpost.source.partition").empty());
      EXPECT_FALSE(record.headers.at("wachtpost.source.offset").empty());
    }
    std::multiset<std::string> expected;
    for (const auto& line : bad) expected.insert(line.substr(0, kMaxPostBytes));  // oversized ones are cut
    EXPECT_EQ(got.size(), expected.size());
    std::vector<std::string> missing;
    std::set_difference(expected.begin(), expected.end(), got.begin(), got.end(), std::back_inserter(missing));
    std::vector<std::string> extra;
    std::set_difference(got.begin(), got.end(), expected.begin(), expected.end(), std::back_inserter(extra));
    EXPECT_TRUE(missing.empty()) << missing.size() << " dead letters missing, first: " << missing[0].substr(0, 100);
    EXPECT_TRUE(extra.empty()) << extra.size()
                               << " dead letters unexpected or twice, first: " << extra[0].substr(0, 100);
  }

  void send_all(const std::vector<std::string>& posts, const std::vector<std::string>& bad,
                std::chrono::microseconds pause = {}) {
    PostProducer producer(bootstrap());
    std::size_t next_bad = 0;
    for (std::size_t i = 0; i < posts.size(); ++i) {
      producer.send(kPosts, "k" + std::to_string(i), posts[i]);
      if (!bad.empty() && i % (posts.size() / bad.size()) == 0 && next_bad < bad.size()) {
        producer.send(kPosts, "bad" + std::to_string(next_bad), bad[next_bad]);
        ++next_bad;
      }
      if (pause.count() > 0) std::this_thread::sleep_for(pause);
    }
    for (; next_bad < bad.size(); ++next_bad) producer.send(kPosts, "bad" + std::to_string(next_bad), bad[next_bad]);
    producer.flush();
  }

  void wait_for_alerts(std::int64_t at_least) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (topic_size(bootstrap(), kAlerts, kAlertPartitions) < at_least &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  TempDir dir_;
  std::unique_ptr<MockCluster> cluster_;
};

}  // namespace

TEST_F(StreamTest, WritesExactlyTheScanAlertsAndEveryBadLineAsADeadLetter) {
  const auto posts = make_posts(3);
  const auto bad = make_bad_lines();
  ASSERT_EQ(bad.size(), 20U);
  const auto expected = scan_alerts(posts);
  ASSERT_GT(expected.size(), 500U);
  send_all(posts, bad);

  auto processor = start("i1", true);
  ASSERT_EQ(processor->wait(std::chrono::seconds(120)), 0) << processor->err();
  expect_same_alerts(expected);
  expect_dead_letters(bad);
  // The dead-letter log names the place and the reason, never the author.
  const std::string log = processor->err();
  EXPECT_NE(log.find(kPosts + "/"), std::string::npos) << log;
  EXPECT_NE(log.find("dead letter (invalid_utf8)"), std::string::npos) << log;
  EXPECT_EQ(log.find("tulpenteller"), std::string::npos);
}

TEST_F(StreamTest, SigkillMidStreamAndRestartLosesAndDuplicatesNothing) {
  const auto posts = make_posts(4);
  const auto bad = make_bad_lines();
  const auto expected = scan_alerts(posts);
  std::thread feeder([&] { send_all(posts, bad, std::chrono::microseconds(1500)); });

  auto first = start("i1", false, 1);
  wait_for_alerts(static_cast<std::int64_t>(expected.size() / 4));
  first->signal(SIGKILL);
  EXPECT_EQ(first->wait(std::chrono::seconds(10)), 128 + SIGKILL);
  const auto written_before = topic_size(bootstrap(), kAlerts, kAlertPartitions);
  EXPECT_LT(written_before, static_cast<std::int64_t>(expected.size())) << "the kill came too late to test anything";
  feeder.join();

  auto second = start("i1", true, 2);
  ASSERT_EQ(second->wait(std::chrono::seconds(120)), 0) << second->err();
  expect_same_alerts(expected);
  expect_dead_letters(bad);
}

TEST_F(StreamTest, SigtermFinishesTheBatchCommitsAndLeaves) {
  const auto posts = make_posts(2);
  const auto expected = scan_alerts(posts);
  std::thread feeder([&] { send_all(posts, {}, std::chrono::microseconds(1000)); });
  auto first = start("i1", false, 1);
  wait_for_alerts(20);
  const auto before = std::chrono::steady_clock::now();
  first->signal(SIGTERM);
  EXPECT_EQ(first->wait(std::chrono::seconds(20)), 0) << first->err();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(15));
  EXPECT_NE(first->err().find("stopped:"), std::string::npos) << first->err();
  feeder.join();
  auto second = start("i1", true, 2);
  ASSERT_EQ(second->wait(std::chrono::seconds(120)), 0) << second->err();
  expect_same_alerts(expected);
}

TEST_F(StreamTest, BrokerDownMidStreamAndBackLosesAndDuplicatesNothing) {
  const auto posts = make_posts(3);
  const auto expected = scan_alerts(posts);
  std::thread feeder([&] { send_all(posts, {}, std::chrono::microseconds(1000)); });
  auto processor = start("i1", false);
  wait_for_alerts(static_cast<std::int64_t>(expected.size() / 5));
  // The mock moves no leaders: partitions led by broker 2 stall until it is back.
  cluster_->set_broker_down(2);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  cluster_->set_broker_up(2);
  feeder.join();
  // Wait for the whole input to be processed, then stop cleanly.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (topic_size(bootstrap(), kAlerts, kAlertPartitions) < static_cast<std::int64_t>(expected.size()) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  processor->signal(SIGTERM);
  ASSERT_EQ(processor->wait(std::chrono::seconds(30)), 0) << processor->err();
  expect_same_alerts(expected);
}

TEST_F(StreamTest, InjectedRequestErrorsLoseAndDuplicateNothing) {
  const auto posts = make_posts(2);
  const auto bad = make_bad_lines();
  const auto expected = scan_alerts(posts);
  send_all(posts, bad);
  // Retriable errors on produce, fetch, offset commit and the transaction calls.
  cluster_->push_request_errors(kafka_api::kProduce,
                                {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT});
  cluster_->push_request_errors(kafka_api::kFetch, {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION});
  cluster_->push_request_errors(kafka_api::kOffsetCommit, {RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS});
  cluster_->push_request_errors(kafka_api::kAddPartitionsToTxn, {RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE});
  cluster_->push_request_errors(kafka_api::kTxnOffsetCommit, {RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS});
  cluster_->push_request_errors(kafka_api::kEndTxn, {RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE});
  auto processor = start("i1", true);
  ASSERT_EQ(processor->wait(std::chrono::seconds(120)), 0) << processor->err();
  expect_same_alerts(expected);
  expect_dead_letters(bad);
}

TEST_F(StreamTest, ThreeInstancesOneKilledMidStreamDeliverEveryAlertOnce) {
  const auto posts = make_posts(4);
  const auto bad = make_bad_lines();
  const auto expected = scan_alerts(posts);
  std::thread feeder([&] { send_all(posts, bad, std::chrono::microseconds(1500)); });
  auto a = start("a", false);
  auto b = start("b", false);
  auto c = start("c", false);
  wait_for_alerts(static_cast<std::int64_t>(expected.size() / 4));
  b->signal(SIGKILL);
  EXPECT_EQ(b->wait(std::chrono::seconds(10)), 128 + SIGKILL);
  feeder.join();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (topic_size(bootstrap(), kAlerts, kAlertPartitions) < static_cast<std::int64_t>(expected.size()) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // Let a last batch (if any duplicate were coming) land before checking.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  a->signal(SIGTERM);
  c->signal(SIGTERM);
  EXPECT_EQ(a->wait(std::chrono::seconds(30)), 0) << a->err();
  EXPECT_EQ(c->wait(std::chrono::seconds(30)), 0) << c->err();
  expect_same_alerts(expected);
  if (::testing::Test::HasFailure()) {
    std::cerr << "--- a\n" << a->err() << "--- b\n" << b->err() << "--- c\n" << c->err();
  }
  expect_dead_letters(bad);
}

// Each instance writes its share of the alerts; each desk follows the alert
// topic, so an officer sent to either instance sees every alert of the group.
TEST_F(StreamTest, EachInstancesDeskShowsTheAlertsOfTheWholeGroup) {
  const auto posts = make_posts(1);
  const auto expected = scan_alerts(posts);
  const std::string token = "desk-officer-token-0123";
  {
    std::ofstream tokens(dir_.file("tokens"));
    tokens << "officer-a:" << token << "\n";
  }
  auto a = start("a", false, 0, {"--tokens", dir_.file("tokens")});
  auto b = start("b", false, 0, {"--tokens", dir_.file("tokens")});
  send_all(posts, {}, std::chrono::microseconds(500));
  wait_for_alerts(static_cast<std::int64_t>(expected.size()));
  const std::regex desk_re("desk at http://127\\.0\\.0\\.1:([0-9]+)/");
  for (Process* instance : {a.get(), b.get()}) {
    std::smatch port;
    const std::string err = instance->err();
    ASSERT_TRUE(std::regex_search(err, port, desk_re)) << err;
    const std::string feed = wachtpost::testing::read_feed(static_cast<unsigned short>(std::stoi(port[1])), token,
                                                           "never arrives", std::chrono::seconds(4));
    std::size_t alerts = 0;
    for (auto at = feed.find("event: alert"); at != std::string::npos; at = feed.find("event: alert", at + 1)) ++alerts;
    EXPECT_EQ(alerts, expected.size()) << err;
  }
  a->signal(SIGTERM);
  b->signal(SIGTERM);
  EXPECT_EQ(a->wait(std::chrono::seconds(30)), 0) << a->err();
  EXPECT_EQ(b->wait(std::chrono::seconds(30)), 0) << b->err();
}

// Issue 6: during a steady stream, a SIGHUP with an added rule makes the
// alerts carry the new set's hash within seconds, with no post lost or
// matched twice; a broken rule file is refused, audited, and the running set
// stays.
TEST_F(StreamTest, SighupActivatesAnAddedRuleAndRefusesABrokenFileWithoutAGap) {
  std::filesystem::create_directories(dir_.file("rules"));
  std::filesystem::copy_file(kSource + "/tests/data/replay/baseline/rules.yaml", dir_.file("rules/rules.yaml"));
  const char* texts[] = {"die rechter moet je afmaken", "ik weet waar die burgemeester woont", "de markt is open"};
  auto post = [&](int n) {
    return R"({"id":"p-)" + std::to_string(n) + R"(","platform":"x","url":"https://x.example/)" + std::to_string(n) +
           R"(","created_at":"2026-11-01T10:00:00Z","lang":"nl","visibility":"public","text":")" + texts[n % 3] +
           R"(","author":{"id":"1","handle":"a"}})";
  };
  std::vector<std::string> first;
  for (int n = 0; n < 1500; ++n) first.push_back(post(n));
  auto processor = start("r", false, 0,
                         {"--patterns", dir_.file("rules"), "--audit-log", dir_.file("audit.jsonl"), "--reload-policy",
                          "single-operator"});
  std::thread feeder([&] { send_all(first, {}, std::chrono::microseconds(2000)); });
  wait_for_alerts(50);
  auto wait_for_audit = [&](const std::string& what) {
    for (int i = 0; i < 400 && read_text(dir_.file("audit.jsonl")).find(what) == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return read_text(dir_.file("audit.jsonl"));
  };
  {
    std::ofstream home(dir_.file("rules/home.yaml"));
    home << "lang: nl\nrules:\n  - id: fx.home\n    rev: 1\n    description: where someone lives\n"
            "    author: test\n    category: home_or_doxxing\n    severity: high\n    threat: ['weet waar']\n"
            "    examples:\n      positive: ['ik weet waar die rechter', 'weet waar burgemeester']\n"
            "      negative: ['weet waar de bakker is', 'ik weet waar het ligt']\n";
  }
  processor->signal(SIGHUP);
  const std::string activated = wait_for_audit("\"result\":\"activated\"");
  ASSERT_NE(activated.find("\"result\":\"activated\""), std::string::npos) << processor->err();
  feeder.join();

  { std::ofstream(dir_.file("rules/broken.yaml")) << "lang: nl\nrules:\n  - id: fx.broken\n    rev: [\n"; }
  processor->signal(SIGHUP);
  const std::string audit = wait_for_audit("\"result\":\"refused\"");
  std::vector<std::string> last;
  for (int n = 1500; n < 1530; ++n) last.push_back(post(n));
  send_all(last, {});
  const std::int64_t kills = 1530 / 3;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::int64_t seen = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto records = read_topic(bootstrap(), kAlerts, kAlertPartitions);
    seen = std::count_if(records.begin(), records.end(),
                         [](const Record& r) { return r.value.find("\"rule\":\"fx.kill\"") != std::string::npos; });
    if (seen >= kills && records.back().value.find("p-15") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  processor->signal(SIGTERM);
  ASSERT_EQ(processor->wait(std::chrono::seconds(30)), 0) << processor->err();

  // The audit trail: one activation (old -> new hash), then the refusal with its file:line.
  const auto lines = lines_of(audit);
  ASSERT_EQ(lines.size(), 2U) << audit;
  const std::regex hashes("\"old_hash\":\"(sha256:[0-9a-f]+)\",\"new_hash\":\"(sha256:[0-9a-f]+)\"");
  std::smatch first_line;
  ASSERT_TRUE(std::regex_search(lines[0], first_line, hashes)) << lines[0];
  const std::string old_hash = first_line[1];
  const std::string new_hash = first_line[2];
  EXPECT_NE(old_hash, new_hash);
  EXPECT_NE(lines[0].find("\"operator\":\"local:SIGHUP\""), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("\"result\":\"refused\""), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("broken.yaml:"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("\"old_hash\":\"" + new_hash + "\""), std::string::npos) << lines[1];

  // Every kill post alerted exactly once; per input partition the hash goes
  // from old to new once and never back; the added rule fires only on the new
  // set; the posts after the refusal still meet the new set.
  const auto records = read_topic(bootstrap(), kAlerts, kAlertPartitions);
  std::map<std::string, int> kill_alerts;
  std::map<int, std::vector<std::pair<long, std::string>>> by_partition;
  int home_alerts = 0;
  const std::regex fields("\"post_id\":\"(p-[0-9]+)\".*\"rule\":\"([a-z.]+)\".*\"pattern_set\":\"(sha256:[0-9a-f]+)\"");
  for (const auto& record : records) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(record.value, m, fields)) << record.value;
    const std::string hash = m[3];
    EXPECT_TRUE(hash == old_hash || hash == new_hash) << record.value;
    if (m[2] == "fx.kill") ++kill_alerts[m[1]];
    if (m[2] == "fx.home") {
      ++home_alerts;
      EXPECT_EQ(hash, new_hash) << record.value;
    }
    by_partition[std::stoi(record.headers.at("wachtpost.source.partition"))].emplace_back(
        std::stol(record.headers.at("wachtpost.source.offset")), hash);
    if (std::stoi(std::string(m[1]).substr(2)) >= 1500) {
      EXPECT_EQ(hash, new_hash) << record.value;
    }
  }
  EXPECT_EQ(static_cast<std::int64_t>(kill_alerts.size()), kills);
  for (const auto& [post_id, n] : kill_alerts) EXPECT_EQ(n, 1) << post_id;
  EXPECT_GT(home_alerts, 0);
  for (auto& [partition, sequence] : by_partition) {
    std::sort(sequence.begin(), sequence.end());
    bool switched = false;
    for (const auto& [offset, hash] : sequence) {
      if (hash == new_hash) switched = true;
      EXPECT_FALSE(switched && hash == old_hash) << "partition " << partition << " offset " << offset;
    }
  }
}

// Issue 6, four eyes: an admin's reload only proposes the set; it runs in
// shadow (its alerts on the shadow topic, never the alert topic, counted per
// rule beside the live set's), the proposer cannot approve it, and it goes
// live once a second admin approves its exact hash. No post is lost or
// matched twice through all of it.
TEST_F(StreamTest, FourEyesProposalRunsInShadowAndGoesLiveOnlyOnASecondAdminsApproval) {
  std::filesystem::create_directories(dir_.file("rules"));
  std::filesystem::copy_file(kSource + "/tests/data/replay/baseline/rules.yaml", dir_.file("rules/rules.yaml"));
  {
    std::ofstream tokens(dir_.file("tokens"));
    tokens << "alice:admin:alice-admin-token-0123\nbob:admin:bob-admin-token-01234\nolga:officer-token-012345\n";
  }
  const char* texts[] = {"die rechter moet je afmaken", "ik weet waar die burgemeester woont", "de markt is open"};
  auto post = [&](int n) {
    return R"({"id":"p-)" + std::to_string(n) + R"(","platform":"x","url":"https://x.example/)" + std::to_string(n) +
           R"(","created_at":"2026-11-01T10:00:00Z","lang":"nl","visibility":"public","text":")" + texts[n % 3] +
           R"(","author":{"id":"1","handle":"a"}})";
  };
  auto send_range = [&](int from, int to) {
    std::vector<std::string> posts;
    for (int n = from; n < to; ++n) posts.push_back(post(n));
    send_all(posts, {});
  };
  auto count_rule = [](const std::vector<Record>& records, const std::string& rule) {
    return std::count_if(records.begin(), records.end(), [&](const Record& r) {
      return r.value.find("\"rule\":\"" + rule + "\"") != std::string::npos;
    });
  };
  // Waits until the alert topic holds a kill alert for every third post below `end`.
  auto wait_for_kills = [&](int end) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline &&
           count_rule(read_topic(bootstrap(), kAlerts, kAlertPartitions), "fx.kill") < (end + 2) / 3) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  };

  auto processor = start(
      "r", false, 0,
      {"--patterns", dir_.file("rules"), "--audit-log", dir_.file("audit.jsonl"), "--tokens", dir_.file("tokens")});
  send_range(0, 300);
  wait_for_kills(300);
  const std::regex desk_re("desk at http://127\\.0\\.0\\.1:([0-9]+)/");
  std::smatch port_match;
  const std::string log = processor->err();
  ASSERT_TRUE(std::regex_search(log, port_match, desk_re)) << log;
  EXPECT_NE(log.find("reload policy: four-eyes"), std::string::npos) << "run starts under four eyes: " << log;
  const auto port = static_cast<unsigned short>(std::stoi(port_match[1]));
  namespace http = boost::beast::http;
  auto call = [&](http::verb verb, const std::string& target, const std::string& token, const std::string& body = {}) {
    return wachtpost::testing::http_request(port, verb, target, {{"Authorization", "Bearer " + token}}, body);
  };

  // The home rule is added and proposed by alice; an officer may not.
  {
    std::ofstream home(dir_.file("rules/home.yaml"));
    home << "lang: nl\nrules:\n  - id: fx.home\n    rev: 1\n    description: where someone lives\n"
            "    author: test\n    category: home_or_doxxing\n    severity: high\n    threat: ['weet waar']\n"
            "    examples:\n      positive: ['ik weet waar die rechter', 'weet waar burgemeester']\n"
            "      negative: ['weet waar de bakker is', 'ik weet waar het ligt']\n";
  }
  EXPECT_EQ(call(http::verb::post, "/admin/reload", "officer-token-012345").status, 403);
  EXPECT_EQ(wachtpost::testing::http_request(port, http::verb::get, "/admin/status").status, 401);
  EXPECT_EQ(call(http::verb::post, "/admin/reload", "alice-admin-token-0123").status, 202);
  std::string proposed;
  for (int i = 0; i < 600 && proposed.empty(); ++i) {
    const std::string status = call(http::verb::get, "/admin/status", "officer-token-012345").body;
    std::smatch m;
    if (std::regex_search(status, m, std::regex("\"pending\":\\{\"hash\":\"(sha256:[0-9a-f]+)\""))) proposed = m[1];
    if (proposed.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(proposed.empty()) << processor->err();

  // In shadow: the stream goes on under the live set; the proposal's alerts
  // go to the shadow topic only.
  send_range(300, 900);
  std::string status;
  for (int i = 0; i < 600; ++i) {  // every post sent since the proposal, scanned by both sets
    status = call(http::verb::get, "/admin/status", "officer-token-012345").body;
    if (status.find("\"posts\":600,") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(status.find("\"policy\":\"four-eyes\""), std::string::npos) << status;
  EXPECT_NE(status.find("\"rules\":[{\"rule\":\"fx.home\",\"live\":0,\"shadow\":200},"
                        "{\"rule\":\"fx.kill\",\"live\":200,\"shadow\":200}]"),
            std::string::npos)
      << status;
  EXPECT_EQ(count_rule(read_topic(bootstrap(), kAlerts, kAlertPartitions), "fx.home"), 0) << "not live yet";
  const auto shadow_records = read_topic(bootstrap(), kShadow, kAlertPartitions);
  EXPECT_EQ(count_rule(shadow_records, "fx.home"), 200);
  EXPECT_EQ(count_rule(shadow_records, "fx.kill"), 200);
  for (const auto& record : shadow_records) {
    EXPECT_NE(record.value.find("\"pattern_set\":\"" + proposed + "\""), std::string::npos) << record.value;
  }

  // Four eyes: alice cannot approve her own proposal; bob can.
  const std::string body = "{\"hash\":\"" + proposed + "\"}";
  EXPECT_EQ(call(http::verb::post, "/admin/approve", "alice-admin-token-0123", body).status, 403);
  const auto approved = call(http::verb::post, "/admin/approve", "bob-admin-token-01234", body);
  EXPECT_EQ(approved.status, 200) << approved.body;
  const auto shadow_before = read_topic(bootstrap(), kShadow, kAlertPartitions).size();

  send_range(900, 1500);
  wait_for_kills(1500);
  processor->signal(SIGTERM);
  ASSERT_EQ(processor->wait(std::chrono::seconds(30)), 0) << processor->err();

  const auto records = read_topic(bootstrap(), kAlerts, kAlertPartitions);
  std::map<std::string, int> kill_alerts;
  std::map<int, std::vector<std::pair<long, std::string>>> by_partition;
  std::string old_hash;
  int home_alerts = 0;
  const std::regex fields("\"post_id\":\"(p-[0-9]+)\".*\"rule\":\"([a-z.]+)\".*\"pattern_set\":\"(sha256:[0-9a-f]+)\"");
  for (const auto& record : records) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(record.value, m, fields)) << record.value;
    const std::string hash = m[3];
    const int n = std::stoi(std::string(m[1]).substr(2));
    if (n < 300) old_hash = hash;
    if (m[2] == "fx.kill") ++kill_alerts[m[1]];
    if (m[2] == "fx.home") {
      ++home_alerts;
      EXPECT_EQ(hash, proposed) << record.value;
    }
    EXPECT_EQ(hash == proposed, n >= 900) << "the proposal is live from the approval on: " << record.value;
    by_partition[std::stoi(record.headers.at("wachtpost.source.partition"))].emplace_back(
        std::stol(record.headers.at("wachtpost.source.offset")), hash);
  }
  EXPECT_EQ(kill_alerts.size(), 500U);
  for (const auto& [post_id, n] : kill_alerts) EXPECT_EQ(n, 1) << post_id;
  EXPECT_EQ(home_alerts, 200) << "every home post after the approval, none before";
  EXPECT_EQ(read_topic(bootstrap(), kShadow, kAlertPartitions).size(), shadow_before)
      << "the shadow run ended with the approval";

  const auto audit = lines_of(read_text(dir_.file("audit.jsonl")));
  ASSERT_EQ(audit.size(), 4U) << read_text(dir_.file("audit.jsonl"));
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"alice", "proposed"}, {"alice", "refused"}, {"bob", "approved"}, {"bob", "activated"}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NE(audit[i].find("\"operator\":\"" + expected[i].first + "\""), std::string::npos) << audit[i];
    EXPECT_NE(audit[i].find("\"result\":\"" + expected[i].second + "\""), std::string::npos) << audit[i];
  }
  EXPECT_NE(audit[3].find("\"old_hash\":\"" + old_hash + "\",\"new_hash\":\"" + proposed + "\""), std::string::npos)
      << audit[3];
}
