// `wachtpost replay` over a time range of a Kafka topic: the posts of
// tests/data/replay/posts.ndjson are written to an in-process mock cluster
// with explicit message timestamps before, inside and after the window, and
// the replay must report exactly what the file mode reports for the posts
// inside it. librdkafka's mock cluster answers no timestamp lookups, so these
// tests run the reader's fallback: every partition from its beginning, kept
// by message timestamp.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/command_runner.hpp"
#include "runtime/kafka_handles.hpp"
#include "runtime/kafka_test_support.hpp"
#include "runtime/mock_cluster.hpp"
#include "runtime/topic_range_reader.hpp"

using wachtpost::testing::run_wachtpost;
using wachtpost::testing::source_path;

namespace {

// 2026-11-01T10:00:00Z and 11:00:00Z: the window every test replays.
constexpr std::int64_t kFrom = 1793527200000;
constexpr std::int64_t kTo = kFrom + 3600 * 1000;
constexpr std::int64_t kMinute = 60 * 1000;
constexpr const char* kFromText = "2026-11-01T10:00:00Z";
constexpr const char* kToText = "2026-11-01T11:00:00Z";

constexpr const char* kPostsTopic = "replay-posts";
constexpr const char* kBadTopic = "replay-bad";

// Writes one message to a chosen partition with a chosen timestamp.
// rd_kafka_produceva, as the RD_KAFKA_V_* macros of rd_kafka_producev are C
// casts (-Wold-style-cast).
void produce_at(rd_kafka_t* producer, const char* topic, std::int32_t partition, std::int64_t timestamp_ms,
                const std::string& value) {
  rd_kafka_vu_t parts[5];
  parts[0].vtype = RD_KAFKA_VTYPE_TOPIC;
  parts[0].u.cstr = topic;
  parts[1].vtype = RD_KAFKA_VTYPE_PARTITION;
  parts[1].u.i32 = partition;
  parts[2].vtype = RD_KAFKA_VTYPE_VALUE;
  parts[2].u.mem.ptr = const_cast<char*>(value.data());
  parts[2].u.mem.size = value.size();
  parts[3].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
  parts[3].u.i64 = timestamp_ms;
  parts[4].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  parts[4].u.i = RD_KAFKA_MSG_F_COPY;
  const wachtpost::KafkaError error(rd_kafka_produceva(producer, parts, 5));
  ASSERT_FALSE(error) << rd_kafka_error_string(error.get());
}

// The fixture's posts by id.
std::map<std::string, std::string> fixture_posts() {
  std::map<std::string, std::string> posts;
  for (const auto& line :
       wachtpost::testing::lines_of(wachtpost::testing::read_text(source_path("tests/data/replay/posts.ndjson")))) {
    const auto start = line.find(R"("id":")") + 6;
    posts[line.substr(start, line.find('"', start) - start)] = line;
  }
  return posts;
}

class ReplayTopic : public ::testing::Test {
 protected:
  // One cluster for the suite: the topics are only read.
  static void SetUpTestSuite() {
    cluster_ = std::make_unique<wachtpost::MockCluster>(3);
    cluster_->create_topic(kPostsTopic, 3, 3);
    cluster_->create_topic(kBadTopic, 1, 3);
    const auto posts = fixture_posts();
    const wachtpost::KafkaClient producer =
        wachtpost::testing::make_client(RD_KAFKA_PRODUCER, {{"bootstrap.servers", cluster_->bootstrap_servers()}});
    // Each partition mixes the window with messages outside it, in offset
    // order not sorted by time (producer clocks), and both ends of the
    // window are tried: r2 at `from` is in, r4 at `from` - 1 ms and at `to`
    // are out.
    produce_at(producer.get(), kPostsTopic, 0, kFrom - 1, posts.at("r4"));
    produce_at(producer.get(), kPostsTopic, 0, kFrom + 5 * kMinute, posts.at("r1"));
    produce_at(producer.get(), kPostsTopic, 0, kFrom, posts.at("r2"));
    produce_at(producer.get(), kPostsTopic, 1, kTo, posts.at("r4"));
    produce_at(producer.get(), kPostsTopic, 1, kFrom + 10 * kMinute, posts.at("r3"));
    produce_at(producer.get(), kPostsTopic, 2, kFrom + 20 * kMinute, posts.at("r5"));
    produce_at(producer.get(), kPostsTopic, 2, kTo + 60 * kMinute, posts.at("r6"));
    // A broken message inside the window and one after it.
    produce_at(producer.get(), kBadTopic, 0, kFrom + kMinute, posts.at("r1"));
    produce_at(producer.get(), kBadTopic, 0, kFrom + 2 * kMinute, "{\"id\":\"broken\",");
    produce_at(producer.get(), kBadTopic, 0, kTo + kMinute, "not json either");
    ASSERT_EQ(rd_kafka_flush(producer.get(), 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  static void TearDownTestSuite() { cluster_.reset(); }

  static std::string brokers() { return cluster_->bootstrap_servers(); }

  static std::string sets() {
    return "replay --baseline " + source_path("tests/data/replay/baseline") + " --patterns " +
           source_path("tests/data/replay/candidate");
  }

  static std::string range(const std::string& topic, const std::string& from = kFromText,
                           const std::string& to = kToText) {
    return " --brokers " + brokers() + " --topic " + topic + " --from " + from + " --to " + to;
  }

  static std::unique_ptr<wachtpost::MockCluster> cluster_;
};

std::unique_ptr<wachtpost::MockCluster> ReplayTopic::cluster_;

// Everything after the report's first line (which names the input).
std::string body(const std::string& out) {
  return out.substr(out.find('\n') + 1);
}

TEST_F(ReplayTopic, ShowsTheExactAlertsOfThePostsInsideTheWindow) {
  const auto result = run_wachtpost(sets() + range(kPostsTopic));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto& out = result.out;
  EXPECT_EQ(out.rfind("replay: 4 posts of topic replay-posts from 2026-11-01T10:00:00.000Z to "
                      "2026-11-01T11:00:00.000Z; baseline sha256:",
                      0),
            0U)
      << out;
  // By partition, then offset: r1, r2 (partition 0), r3 (1), r5 (2).
  EXPECT_NE(out.find("added (2):\n"
                     "  + r2 fx.kill critical death_threat [mayor] \"die burgemeester moet je vermoorden\"\n"
                     "  + r5 fx.home high home_or_doxxing [mayor] \"de burgemeester opende de markt, ik weet waar de "
                     "kraam staat\"\n"
                     "lost (1):\n"
                     "  - r3 fx.fire high arson_or_explosive [judge] \"het huis van die rechter gaat in de fik\"\n"
                     "changed (1):\n"
                     "  ~ r1 fx.kill high -> critical, death_threat -> death_threat, [judge] -> [judge] \"die rechter "
                     "moet je afmaken\"\n"),
            std::string::npos)
      << out;
  // The mock cluster looks up no offsets by time; the replay says so and reads on.
  EXPECT_NE(result.err.find("replay-posts: no offsets by time from the brokers; reading 3 partition(s) from their "
                            "beginning"),
            std::string::npos)
      << result.err;

  // The same posts as a file give the same report, word for word.
  const wachtpost::testing::TempDir dir;
  const auto posts = fixture_posts();
  {
    std::ofstream file(dir.file("window.ndjson"));
    for (const char* id : {"r1", "r2", "r3", "r5"}) file << posts.at(id) << '\n';
  }
  const auto from_file = run_wachtpost(sets() + " " + dir.file("window.ndjson"));
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_EQ(body(out), body(from_file.out));
  EXPECT_NE(out.find("labelled posts: 3 threats, 1 harmless;"), std::string::npos) << out;
}

TEST_F(ReplayTopic, JsonNamesTheSourceAndKeepsTheFileModeShape) {
  // Epoch milliseconds work as well as RFC 3339.
  const auto result =
      run_wachtpost(sets() + range(kPostsTopic, std::to_string(kFrom), std::to_string(kTo)) + " --json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto lines = result.out_lines();
  ASSERT_EQ(lines.size(), 1U) << result.out;
  const std::string& json = lines[0];
  EXPECT_EQ(json.rfind(R"({"input":"replay-posts","source":{"kind":"topic","brokers":")" + brokers() +
                           R"(","topic":"replay-posts","from":"2026-11-01T10:00:00.000Z",)"
                           R"("to":"2026-11-01T11:00:00.000Z"},"posts":4,"baseline":{"pattern_set":"sha256:)",
                       0),
            0U)
      << json;
  EXPECT_NE(json.find(R"("added":[{"post_id":"r2","rule":"fx.kill","severity":"critical")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("lost":[{"post_id":"r3","rule":"fx.fire","severity":"high")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("changed":[{"post_id":"r1","rule":"fx.kill","before":{"severity":"high")"), std::string::npos)
      << json;

  // The file mode names its source the same way.
  const auto from_file = run_wachtpost(sets() + " " + source_path("tests/data/replay/posts.ndjson") + " --json");
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_NE(from_file.out.find(R"("source":{"kind":"file","path":")"), std::string::npos) << from_file.out;
}

TEST_F(ReplayTopic, ABrokenMessageIsNamedByTopicPartitionAndOffset) {
  const auto result = run_wachtpost(sets() + range(kBadTopic));
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.out.find("replay: 1 posts of topic replay-bad"), std::string::npos) << result.out;
  EXPECT_NE(result.err.find("replay-bad/0/1: rejected (truncated): "), std::string::npos) << result.err;
  // The message after the window is not read as a post at all.
  EXPECT_EQ(result.err.find("replay-bad/0/2"), std::string::npos) << result.err;
}

TEST_F(ReplayTopic, RefusesAWindowThatEndsBeforeItStarts) {
  const auto backwards = run_wachtpost(sets() + range(kPostsTopic, kToText, kFromText));
  EXPECT_EQ(backwards.exit_code, 2);
  EXPECT_NE(backwards.err.find("--to (2026-11-01T10:00:00Z) must be after --from (2026-11-01T11:00:00Z)"),
            std::string::npos)
      << backwards.err;
  const auto empty = run_wachtpost(sets() + range(kPostsTopic, kFromText, kFromText));
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_NE(empty.err.find("must be after --from"), std::string::npos) << empty.err;
  const auto not_a_time = run_wachtpost(sets() + range(kPostsTopic, "yesterday", kToText));
  EXPECT_EQ(not_a_time.exit_code, 2);
  EXPECT_NE(not_a_time.err.find("expected RFC 3339 or epoch milliseconds"), std::string::npos) << not_a_time.err;
}

TEST_F(ReplayTopic, AFileAndATopicAreOneOrTheOther) {
  const auto both = run_wachtpost(sets() + " " + source_path("tests/data/replay/posts.ndjson") + range(kPostsTopic));
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("excludes"), std::string::npos) << both.err;
  const auto half = run_wachtpost(sets() + " --brokers " + brokers() + " --topic " + kPostsTopic);
  EXPECT_EQ(half.exit_code, 2);
  EXPECT_NE(half.err.find("requires"), std::string::npos) << half.err;
  const auto neither = run_wachtpost(sets());
  EXPECT_EQ(neither.exit_code, 2);
  EXPECT_NE(neither.err.find("give a posts FILE, or --brokers, --topic, --from and --to"), std::string::npos)
      << neither.err;
}

TEST_F(ReplayTopic, AnUnknownTopicIsNamedWithTheBrokers) {
  const auto result = run_wachtpost(sets() + range("no-such-topic"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("wachtpost replay: topic no-such-topic at " + brokers() + ": no such topic"),
            std::string::npos)
      << result.err;
}

TEST_F(ReplayTopic, ReaderKeepsTheWindowInPartitionThenOffsetOrder) {
  wachtpost::TopicRangeReader reader({.brokers = brokers(), .topic = kPostsTopic, .from_ms = kFrom, .to_ms = kTo});
  // No timestamp lookups on the mock: every partition from its beginning to
  // its end as it was when the reader was made.
  ASSERT_EQ(reader.plan().size(), 3U);
  const std::int64_t ends[] = {3, 2, 2};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(reader.plan()[i].partition, static_cast<std::int32_t>(i));
    EXPECT_EQ(reader.plan()[i].start, 0);
    EXPECT_EQ(reader.plan()[i].end, ends[i]);
    EXPECT_FALSE(reader.plan()[i].by_timestamp);
  }
  std::vector<std::string> seen;
  const auto read = reader.read([&](const wachtpost::TopicMessage& message) {
    const std::string value(message.value);
    const auto start = value.find(R"("id":")") + 6;
    seen.push_back(std::to_string(message.partition) + "/" + std::to_string(message.offset) + " " +
                   std::to_string(message.timestamp_ms - kFrom) + " " +
                   value.substr(start, value.find('"', start) - start));
  });
  EXPECT_EQ(read, 7U);  // every message, in the window or not
  EXPECT_EQ(seen, (std::vector<std::string>{"0/1 300000 r1", "0/2 0 r2", "1/1 600000 r3", "2/0 1200000 r5"}));
}

TEST_F(ReplayTopic, UnreachableBrokersAreNamedWithTheReason) {
  try {
    wachtpost::TopicRangeReader reader({.brokers = "127.0.0.1:1",
                                        .topic = kPostsTopic,
                                        .from_ms = kFrom,
                                        .to_ms = kTo,
                                        .timeout = std::chrono::milliseconds(1500)});
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("topic replay-posts at 127.0.0.1:1: brokers not reachable: "), std::string::npos) << what;
  }
}

}  // namespace
