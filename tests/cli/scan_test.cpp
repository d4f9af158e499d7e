// End-to-end: the wachtpost binary over fixture files, as the README runs it.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <regex>
#include <set>

#include "cli/command_runner.hpp"

using wachtpost::testing::read_file;
using wachtpost::testing::run_wachtpost;
using wachtpost::testing::source_path;

namespace {

const std::string kFixtureArgs = "scan --patterns " + source_path("tests/data/scan/rules") + " --protected " +
                                 source_path("tests/data/scan/registry.yaml") + " ";

std::string strip_detected_at(const std::string& line) {
  static const std::regex kDetectedAt(R"("detected_at":"[^"]*",)");
  return std::regex_replace(line, kDetectedAt, "");
}

std::string field(simdjson::dom::element element, const char* key) {
  return std::string(std::string_view(element[key]));
}

struct PostLookup {
  std::map<std::string, std::string> text_by_id;
  std::set<std::string> author_strings;
};

PostLookup load_posts(const std::string& path) {
  PostLookup lookup;
  simdjson::dom::parser parser;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    simdjson::dom::element post;
    if (parser.parse(line).get(post) != simdjson::SUCCESS) continue;
    lookup.text_by_id[field(post, "id")] = field(post, "text");
    simdjson::dom::object author;
    if (post["author"].get(author) == simdjson::SUCCESS) {
      for (auto [key, value] : author) {
        std::string_view s;
        if (value.get(s) == simdjson::SUCCESS) lookup.author_strings.insert(std::string(s));
      }
    }
  }
  return lookup;
}

}  // namespace

TEST(ScanCommand, BrokenAndIncompleteLinesAreNamedAndTheRestIsProcessed) {
  const auto result = run_wachtpost("scan --patterns " + source_path("tests/data/scan/rules") + " " +
                                    source_path("tests/data/scan/acceptance.ndjson"));
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("acceptance.ndjson:3: rejected (truncated)"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("acceptance.ndjson:5: rejected (missing_field): missing required field 'text'"),
            std::string::npos)
      << result.err;
  // Exactly two error lines: nothing else was refused.
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 3) << result.err;
  std::vector<std::string> posts;
  simdjson::dom::parser parser;
  for (const auto& line : result.out_lines()) posts.push_back(field(parser.parse(line).value(), "post_id"));
  EXPECT_EQ(posts, (std::vector<std::string>{"acc-1", "acc-6"}));  // acc-4 is not public, acc-7 has no target
  EXPECT_NE(result.err.find("1 dropped (not public)"), std::string::npos) << result.err;
}

TEST(ScanCommand, FixtureCorpusGivesExactlyTheExpectedAlerts) {
  const auto result = run_wachtpost(kFixtureArgs + source_path("tests/data/scan/posts.ndjson"));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::istringstream expected(read_file(source_path("tests/data/scan/posts.expected.ndjson")));
  std::vector<std::string> want;
  for (std::string line; std::getline(expected, line);) want.push_back(line);
  std::vector<std::string> got;
  for (const auto& line : result.out_lines()) got.push_back(strip_detected_at(line));
  ASSERT_EQ(got.size(), want.size()) << result.out;
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], want[i]) << "alert " << i;
}

TEST(ScanCommand, SameInputGivesSameAlertIds) {
  const auto first = run_wachtpost(kFixtureArgs + source_path("tests/data/scan/posts.ndjson"));
  const auto second = run_wachtpost(kFixtureArgs + source_path("tests/data/scan/posts.ndjson"));
  auto ids = [](const wachtpost::testing::CommandResult& r) {
    std::vector<std::string> out;
    simdjson::dom::parser parser;
    for (const auto& line : r.out_lines()) out.push_back(field(parser.parse(line).value(), "alert_id"));
    return out;
  };
  ASSERT_FALSE(ids(first).empty());
  EXPECT_EQ(ids(first), ids(second));
}

TEST(ScanCommand, MatchOffsetsPointAtTheMatchedBytesOfTheOriginalText) {
  const std::string input = source_path("tests/data/scan/posts.ndjson");
  const auto posts = load_posts(input);
  const auto result = run_wachtpost(kFixtureArgs + input);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  simdjson::dom::parser parser;
  std::size_t matches = 0;
  for (const auto& line : result.out_lines()) {
    const auto alert = parser.parse(line).value();
    const std::string& text = posts.text_by_id.at(field(alert, "post_id"));
    for (auto match : alert["matches"].get_array()) {
      const auto start = static_cast<std::size_t>(int64_t(match["start"]));
      const auto end = static_cast<std::size_t>(int64_t(match["end"]));
      ASSERT_LE(end, text.size());
      EXPECT_EQ(text.substr(start, end - start), field(match, "text"));
      ++matches;
    }
    const auto excerpt_start = static_cast<std::size_t>(int64_t(alert["excerpt_start"]));
    const std::string excerpt = field(alert, "excerpt");
    EXPECT_EQ(text.substr(excerpt_start, excerpt.size()), excerpt);
  }
  EXPECT_GE(matches, 20U);
}

TEST(ScanCommand, AuthorNeverAppearsInClearAndPseudonymIsKeyedAndStable) {
  const std::string input = source_path("tests/data/scan/posts.ndjson");
  const auto posts = load_posts(input);
  ASSERT_FALSE(posts.author_strings.empty());
  const auto plain = run_wachtpost(kFixtureArgs + input);
  const auto keyed = run_wachtpost(kFixtureArgs + input, "WACHTPOST_PSEUDONYM_KEY=unit-test-key-0123456789");
  const auto other_key = run_wachtpost(kFixtureArgs + input, "WACHTPOST_PSEUDONYM_KEY=another-key-9876543210");
  for (const auto* result : {&plain, &keyed, &other_key}) {
    ASSERT_EQ(result->exit_code, 0) << result->err;
    for (const auto& secret : posts.author_strings) {
      EXPECT_EQ(result->out.find(secret), std::string::npos) << secret;
      EXPECT_EQ(result->err.find(secret), std::string::npos) << secret;
    }
  }
  EXPECT_EQ(plain.out.find("author_ref"), std::string::npos);
  simdjson::dom::parser parser;
  std::set<std::string> refs;
  for (const auto& line : keyed.out_lines()) refs.insert(field(parser.parse(line).value(), "author_ref"));
  // The fixture has three authors (author-0..2), all with alerts.
  EXPECT_EQ(refs.size(), 3U);
  std::set<std::string> other_refs;
  for (const auto& line : other_key.out_lines()) other_refs.insert(field(parser.parse(line).value(), "author_ref"));
  for (const auto& ref : refs) EXPECT_FALSE(other_refs.contains(ref)) << "pseudonyms must depend on the key";
}

TEST(ScanCommand, ReadsStandardInput) {
  const auto from_file = run_wachtpost(kFixtureArgs + source_path("tests/data/scan/posts.ndjson"));
  const auto from_stdin = run_wachtpost(kFixtureArgs + "-", "", source_path("tests/data/scan/posts.ndjson"));
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  EXPECT_EQ(from_stdin.out_lines().size(), from_file.out_lines().size());
  EXPECT_NE(from_stdin.err.find("<stdin>"), std::string::npos);
}

TEST(ScanCommand, HostileLinesAreRejectedByLineNumberAndOthersStillAlert) {
  const auto dir = std::filesystem::temp_directory_path() / ("wachtpost-hostile-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / "posts.ndjson";
  const std::string good =
      R"({"id":"h-ok","platform":"x","url":"u","created_at":"2026-11-20T10:00:00Z","visibility":"public","text":"iemand moet die rechter afmaken"})";
  {
    std::ofstream out(path, std::ios::binary);
    out << good << '\n';                                                              // 1
    out << R"({"id":"h-big","platform":"x","url":"u","created_at":"2026-11-20T10:00:00Z","visibility":"public","text":")"
        << std::string(3U << 20, 'a') << "\"}\n";                                     // 2: 3 MB line
    out << R"({"id":"h-utf8","platform":"x","url":"u","created_at":"2026-11-20T10:00:00Z","visibility":"public","text":"rechter )"
        << "\xff\xfe" << " afmaken\"}\n";                                             // 3: invalid UTF-8
    out << "\n";                                                                      // 4: blank, skipped
    out << R"({"id":"h-type","platform":"x","url":"u","created_at":"2026-11-20T10:00:00Z","visibility":"public","text":42})"
        << '\n';                                                                      // 5: wrong type
    out << R"({"id":"h-date","platform":"x","url":"u","created_at":"gisteren","visibility":"public","text":"x"})"
        << '\n';                                                                      // 6: bad date
    out << "[1,2,3]\n";                                                               // 7: not an object
    out << good.substr(0, good.size() - 1) << R"(,"text":"dubbel"})" << '\n';        // 8: duplicate key
    out << good;                                                                      // 9: no final newline
  }
  const auto result = run_wachtpost("scan --patterns " + source_path("tests/data/scan/rules") + " " + path.string());
  std::filesystem::remove_all(dir);
  EXPECT_EQ(result.exit_code, 1);
  for (const char* expected : {":2: rejected (too_large)", ":3: rejected (invalid_utf8)", ":5: rejected (wrong_type)",
                               ":6: rejected (invalid_value)", ":7: rejected (not_json)", ":8: rejected (duplicate_key)"}) {
    EXPECT_NE(result.err.find(expected), std::string::npos) << expected << "\n" << result.err;
  }
  EXPECT_EQ(result.out_lines().size(), 2U) << "lines 1 and 9 alert";
  EXPECT_LT(result.err.size(), 2000U) << "errors must not echo the hostile content";
}

TEST(ScanCommand, InvalidPatternSetFailsAtStartWithFileAndLine) {
  const auto dir = std::filesystem::temp_directory_path() / ("wachtpost-badrules-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir / "broken.yaml");
    out << "lang: nl\nrules:\n  - id: x.1\n    rev: 1\n    description: d\n    author: a\n"
           "    category: death_threat\n    severity: apocalyptic\n    threat: ['dood']\n";
  }
  const auto result = run_wachtpost("scan --patterns " + dir.string() + " " + source_path("tests/data/scan/posts.ndjson"));
  std::filesystem::remove_all(dir);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("broken.yaml:8: rule 'x.1': severity must be critical, high, medium or low"),
            std::string::npos)
      << result.err;
  EXPECT_TRUE(result.out.empty());
}

TEST(ScanCommand, MissingInputFileIsAConfigurationError) {
  const auto result = run_wachtpost("scan /nonexistent/posts.ndjson");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("/nonexistent/posts.ndjson"), std::string::npos) << result.err;
}

TEST(ScanCommand, MainCommandOnTheBundledSampleStreamPrintsAlerts) {
  const auto result = run_wachtpost("scan --protected " + source_path("patterns/protected.example.yaml") + " " +
                                    source_path("patterns/examples/posts.ndjson"));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_GE(result.out_lines().size(), 15U) << result.out;
  EXPECT_NE(result.err.find("4 dropped (not public)"), std::string::npos) << result.err;
}

TEST(ScanCommand, EmbeddedDefaultSetIsTheShippedPatternsFolder) {
  const std::string input = source_path("patterns/examples/posts.ndjson");
  const auto embedded = run_wachtpost("scan " + input);
  const auto folder = run_wachtpost("scan --patterns " + source_path("patterns") + " " + input);
  const std::regex hash("pattern set (sha256:[0-9a-f]{16})");
  std::smatch a;
  std::smatch b;
  ASSERT_TRUE(std::regex_search(embedded.err, a, hash)) << embedded.err;
  ASSERT_TRUE(std::regex_search(folder.err, b, hash)) << folder.err;
  EXPECT_EQ(a[1].str(), b[1].str()) << "rebuild: the binary embeds an outdated patterns/ folder";
}
