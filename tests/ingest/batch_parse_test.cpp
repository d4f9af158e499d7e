// PostParser::parse_lines: iterate_many over a block of lines, falling back to
// per-line parsing exactly where a line breaks the batch.

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "ingest/line_reader.hpp"
#include "ingest/post_parser.hpp"

using namespace wachtpost;

namespace {

std::string post_line(int i, const std::string& text = "hallo") {
  return R"({"id":"b-)" + std::to_string(i) +
         R"(","platform":"x","url":"u","created_at":"2026-11-20T10:00:00Z","visibility":"public","text":")" + text +
         "\"}";
}

struct Delivered {
  std::uint64_t line;
  ParseOutcome outcome;
  std::string id;
  RejectReason reason;
};

std::vector<Delivered> parse_all(const std::string& input, PostParser& parser) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  // Small inputs fit the pipe buffer; write all, then read.
  EXPECT_EQ(::write(fds[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  ::close(fds[1]);
  LineReader reader(fds[0], parser.limits().max_document_bytes, simdjson::SIMDJSON_PADDING);
  std::vector<Delivered> out;
  std::vector<Line> lines;
  while (reader.next_block(lines)) {
    parser.parse_lines(lines, [&](const Line& line, ParseOutcome outcome, const Post& post, const ParseFailure& f) {
      out.push_back({line.number, outcome, std::string(post.id), f.reason});
    });
  }
  ::close(fds[0]);
  return out;
}

}  // namespace

TEST(BatchParse, CleanLinesAllGoThroughOneBatch) {
  std::string input;
  for (int i = 1; i <= 200; ++i) input += post_line(i) + "\n";
  PostParser parser;
  const auto got = parse_all(input, parser);
  ASSERT_EQ(got.size(), 200U);
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(got[static_cast<std::size_t>(i)].line, static_cast<std::uint64_t>(i + 1));
    EXPECT_EQ(got[static_cast<std::size_t>(i)].outcome, ParseOutcome::kPost);
    EXPECT_EQ(got[static_cast<std::size_t>(i)].id, "b-" + std::to_string(i + 1));
  }
  EXPECT_EQ(parser.lines_parsed_singly(), 0U);
}

TEST(BatchParse, BrokenLineIsNamedAndEveryOtherLineIsDelivered) {
  std::string input = post_line(1) + "\n" + post_line(2) + "\n" + R"({"id":"b-3","text":"open)" + "\n" +
                      post_line(4) + "\n\n" + post_line(6) + " trailing\n" + post_line(7) + "\n" +
                      post_line(8, "\xff") + "\n" + post_line(9) + post_line(10) + "\n" + post_line(11);
  PostParser parser;
  const auto got = parse_all(input, parser);
  ASSERT_EQ(got.size(), 10U);
  const std::vector<ParseOutcome> expected{ParseOutcome::kPost,     ParseOutcome::kPost,     ParseOutcome::kRejected,
                                           ParseOutcome::kPost,     ParseOutcome::kBlank,    ParseOutcome::kRejected,
                                           ParseOutcome::kPost,     ParseOutcome::kRejected, ParseOutcome::kRejected,
                                           ParseOutcome::kPost};
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].line, i + 1);
    EXPECT_EQ(got[i].outcome, expected[i]) << "line " << i + 1;
  }
  EXPECT_EQ(got[2].reason, RejectReason::kTruncated);
  EXPECT_EQ(got[5].reason, RejectReason::kNotJson);   // content after the object
  EXPECT_EQ(got[7].reason, RejectReason::kInvalidUtf8);
  EXPECT_EQ(got[8].reason, RejectReason::kNotJson);   // two documents on one line
  EXPECT_EQ(got[9].id, "b-11");
  // Invalid UTF-8 anywhere fails the whole batch up front, so here every line
  // went the per-line way, and still each got its own verdict.
}

TEST(BatchParse, BatchIsUsedUpToTheFirstBrokenLine) {
  std::string input;
  for (int i = 1; i <= 50; ++i) input += post_line(i) + "\n";
  input += R"({"id":"b-51","text":"open)" "\n";
  for (int i = 52; i <= 60; ++i) input += post_line(i) + "\n";
  PostParser parser;
  const auto got = parse_all(input, parser);
  ASSERT_EQ(got.size(), 60U);
  EXPECT_EQ(got[50].outcome, ParseOutcome::kRejected);
  EXPECT_EQ(got[59].id, "b-60");
  // The batch fails on the broken line; lines are parsed one by one up to
  // and including it, then the rest goes back to a batch.
  EXPECT_LE(parser.lines_parsed_singly(), 51U);
  EXPECT_GE(parser.lines_parsed_singly(), 1U);
}

TEST(BatchParse, TooLargeLineEndsTheBlockAndIsRejected) {
  ParseLimits limits;
  limits.max_document_bytes = 512;
  PostParser parser(limits);
  const std::string input = post_line(1) + "\n" + post_line(2, std::string(1000, 'a')) + "\n" + post_line(3) + "\n";
  const auto got = parse_all(input, parser);
  ASSERT_EQ(got.size(), 3U);
  EXPECT_EQ(got[0].outcome, ParseOutcome::kPost);
  EXPECT_EQ(got[1].outcome, ParseOutcome::kRejected);
  EXPECT_EQ(got[1].reason, RejectReason::kTooLarge);
  EXPECT_EQ(got[2].outcome, ParseOutcome::kPost);
  EXPECT_EQ(got[2].id, "b-3");
}

TEST(BatchParse, SemanticErrorInTheBatchRejectsOnlyThatLine) {
  const std::string input = post_line(1) + "\n" +
                            R"({"id":"b-2","platform":"x","url":"u","created_at":"2026-11-20T10:00:00Z","visibility":"public","text":7})" +
                            "\n" + post_line(3) + "\n" + post_line(4) + "\n";
  PostParser parser;
  const auto got = parse_all(input, parser);
  ASSERT_EQ(got.size(), 4U);
  EXPECT_EQ(got[1].outcome, ParseOutcome::kRejected);
  EXPECT_EQ(got[1].reason, RejectReason::kWrongType);
  EXPECT_EQ(got[2].id, "b-3");
  EXPECT_EQ(got[3].id, "b-4");
}
