// LineReader: newline splitting, CRLF, last line without newline, too-large
// lines (also across many buffer fills), padding capacity, buffer refills.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "ingest/line_reader.hpp"

using namespace wachtpost;

namespace {

constexpr std::size_t kPadding = 64;

// A temporary file holding `content`, unlinked at once, positioned at offset 0.
class TempInput {
 public:
  explicit TempInput(const std::string& content) {
    std::string path = ::testing::TempDir() + "line_reader_XXXXXX";
    fd_ = ::mkstemp(path.data());
    if (fd_ < 0) {
      ADD_FAILURE() << "mkstemp failed";
      return;
    }
    ::unlink(path.c_str());
    std::size_t done = 0;
    while (done < content.size()) {
      const ssize_t n = ::write(fd_, content.data() + done, content.size() - done);
      if (n <= 0) {
        ADD_FAILURE() << "write failed";
        return;
      }
      done += static_cast<std::size_t>(n);
    }
    if (::lseek(fd_, 0, SEEK_SET) != 0) ADD_FAILURE() << "lseek failed";
  }
  ~TempInput() {
    if (fd_ >= 0) ::close(fd_);
  }
  TempInput(const TempInput&) = delete;
  TempInput& operator=(const TempInput&) = delete;

  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// A pipe fed by a writer thread in chunks of `chunk` bytes, so read() returns
// short, unaligned pieces.
class PipeInput {
 public:
  PipeInput(std::string content, std::size_t chunk) : content_(std::move(content)) {
    // If a test stops reading early, the writer must get EPIPE, not a fatal SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    int fds[2];
    if (::pipe(fds) != 0) {
      ADD_FAILURE() << "pipe failed";
      return;
    }
    read_fd_ = fds[0];
    const int write_fd = fds[1];
    writer_ = std::thread([this, write_fd, chunk] {
      std::size_t done = 0;
      while (done < content_.size()) {
        const std::size_t want = std::min(chunk, content_.size() - done);
        const ssize_t n = ::write(write_fd, content_.data() + done, want);
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
      }
      ::close(write_fd);
    });
  }
  ~PipeInput() {
    if (read_fd_ >= 0) ::close(read_fd_);
    if (writer_.joinable()) writer_.join();
  }
  PipeInput(const PipeInput&) = delete;
  PipeInput& operator=(const PipeInput&) = delete;

  [[nodiscard]] int fd() const { return read_fd_; }

 private:
  std::string content_;
  int read_fd_ = -1;
  std::thread writer_;
};

struct Got {
  std::uint64_t number;
  std::string bytes;
  std::size_t original_size;
  bool too_large;
};

// Reads every line and checks the capacity guarantee on the way (touching the
// padding bytes, so a sanitizer build catches a wrong capacity).
std::vector<Got> read_all(int fd, std::size_t max_line_bytes, std::size_t padding = kPadding) {
  LineReader reader(fd, max_line_bytes, padding);
  std::vector<Got> out;
  Line line;
  while (reader.next(line)) {
    if (line.too_large) {
      EXPECT_TRUE(line.bytes.empty()) << "line " << line.number;
      EXPECT_EQ(line.capacity, 0U) << "line " << line.number;
    } else {
      EXPECT_GE(line.capacity, line.bytes.size() + padding) << "line " << line.number;
      volatile char sink = 0;
      for (std::size_t i = 0; i < line.bytes.size() + padding; ++i) sink = line.bytes.data()[i];
      (void)sink;
    }
    out.push_back({line.number, std::string(line.bytes), line.original_size, line.too_large});
  }
  // End of input is sticky.
  EXPECT_FALSE(reader.next(line));
  return out;
}

std::vector<Got> read_string(const std::string& content, std::size_t max_line_bytes = 1024) {
  TempInput input(content);
  return read_all(input.fd(), max_line_bytes);
}

}  // namespace

TEST(LineReader, SplitsOnNewlineWithOneBasedNumbers) {
  const auto got = read_string("a\nbb\nccc\n");
  ASSERT_EQ(got.size(), 3U);
  EXPECT_EQ(got[0].bytes, "a");
  EXPECT_EQ(got[1].bytes, "bb");
  EXPECT_EQ(got[2].bytes, "ccc");
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].number, i + 1);
    EXPECT_FALSE(got[i].too_large);
    EXPECT_EQ(got[i].original_size, got[i].bytes.size());
  }
}

TEST(LineReader, EmptyInputHasNoLines) { EXPECT_TRUE(read_string("").empty()); }

TEST(LineReader, EmptyLinesAreLines) {
  const auto got = read_string("\n\nx\n\n");
  ASSERT_EQ(got.size(), 4U);
  EXPECT_EQ(got[0].bytes, "");
  EXPECT_EQ(got[1].bytes, "");
  EXPECT_EQ(got[2].bytes, "x");
  EXPECT_EQ(got[3].bytes, "");
  EXPECT_EQ(got[3].number, 4U);
}

TEST(LineReader, CrLfIsStripped) {
  const auto got = read_string("one\r\ntwo\r\n\r\nthree\n");
  ASSERT_EQ(got.size(), 4U);
  EXPECT_EQ(got[0].bytes, "one");
  EXPECT_EQ(got[1].bytes, "two");
  EXPECT_EQ(got[2].bytes, "");
  EXPECT_EQ(got[3].bytes, "three");
}

TEST(LineReader, OnlyTrailingCarriageReturnIsStripped) {
  const auto got = read_string("a\rb\n\r\rc\r\n");
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[0].bytes, "a\rb");
  EXPECT_EQ(got[1].bytes, "\r\rc");
}

TEST(LineReader, LastLineWithoutNewline) {
  const auto got = read_string("first\nlast");
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[0].bytes, "first");
  EXPECT_EQ(got[1].bytes, "last");
  EXPECT_EQ(got[1].number, 2U);
  EXPECT_EQ(got[1].original_size, 4U);
}

TEST(LineReader, LastLineWithoutNewlineStripsCarriageReturn) {
  const auto got = read_string("only\r");
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].bytes, "only");
}

TEST(LineReader, SingleNewlineIsOneEmptyLine) {
  const auto got = read_string("\n");
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].bytes, "");
  EXPECT_EQ(got[0].number, 1U);
}

TEST(LineReader, PaddingAfterLastLineIsZeroed) {
  TempInput input("x\nlast");
  LineReader reader(input.fd(), 1024, kPadding);
  Line line;
  ASSERT_TRUE(reader.next(line));
  ASSERT_TRUE(reader.next(line));
  ASSERT_EQ(line.bytes, "last");
  ASSERT_GE(line.capacity, line.bytes.size() + kPadding);
  for (std::size_t i = 0; i < kPadding; ++i) EXPECT_EQ(line.bytes.data()[line.bytes.size() + i], '\0') << i;
}

TEST(LineReader, LineAtLimitIsKeptOneMoreIsTooLarge) {
  const std::string at_limit(16, 'a');
  const std::string over(17, 'b');
  const auto got = read_string(at_limit + "\n" + over + "\nnext\n", 16);
  ASSERT_EQ(got.size(), 3U);
  EXPECT_FALSE(got[0].too_large);
  EXPECT_EQ(got[0].bytes, at_limit);
  EXPECT_TRUE(got[1].too_large);
  EXPECT_EQ(got[1].original_size, 17U);
  EXPECT_EQ(got[1].number, 2U);
  EXPECT_FALSE(got[2].too_large);
  EXPECT_EQ(got[2].bytes, "next");
  EXPECT_EQ(got[2].number, 3U);
}

TEST(LineReader, TooLargeLastLineWithoutNewline) {
  const auto got = read_string("ok\n" + std::string(100, 'x'), 10);
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[0].bytes, "ok");
  EXPECT_TRUE(got[1].too_large);
  EXPECT_EQ(got[1].original_size, 100U);
  EXPECT_EQ(got[1].number, 2U);
}

TEST(LineReader, HugeLineAcrossManyBufferFillsIsSkippedAndNextLineIsRead) {
  constexpr std::size_t kHuge = 20U << 20;  // 20 MiB: several 4 MiB buffer fills
  std::string content = "before\n";
  content.append(kHuge, 'z');
  content += "\nafter\n{\"n\":1}";
  const auto got = read_string(content, 64);
  ASSERT_EQ(got.size(), 4U);
  EXPECT_EQ(got[0].bytes, "before");
  EXPECT_TRUE(got[1].too_large);
  EXPECT_EQ(got[1].original_size, kHuge);
  EXPECT_EQ(got[1].number, 2U);
  EXPECT_FALSE(got[2].too_large);
  EXPECT_EQ(got[2].bytes, "after");
  EXPECT_EQ(got[2].number, 3U);
  EXPECT_EQ(got[3].bytes, "{\"n\":1}");
  EXPECT_EQ(got[3].number, 4U);
}

TEST(LineReader, HugeLineAtEndOfInputWithoutNewline) {
  constexpr std::size_t kHuge = (9U << 20) + 3;
  std::string content = "a\n";
  content.append(kHuge, 'q');
  const auto got = read_string(content, 64);
  ASSERT_EQ(got.size(), 2U);
  EXPECT_TRUE(got[1].too_large);
  EXPECT_EQ(got[1].original_size, kHuge);
}

TEST(LineReader, SeveralHugeLinesInARow) {
  std::string content;
  content.append(5U << 20, 'a');
  content += '\n';
  content.append(4U << 20, 'b');
  content += "\nmid\n";
  content.append((4U << 20) + 1, 'c');
  content += "\r\nend\r\n";
  const auto got = read_string(content, 64);
  ASSERT_EQ(got.size(), 5U);
  EXPECT_TRUE(got[0].too_large);
  EXPECT_EQ(got[0].original_size, 5U << 20);
  EXPECT_TRUE(got[1].too_large);
  EXPECT_EQ(got[1].original_size, 4U << 20);
  EXPECT_EQ(got[2].bytes, "mid");
  EXPECT_TRUE(got[3].too_large);
  EXPECT_EQ(got[4].bytes, "end");
  EXPECT_EQ(got[4].number, 5U);
}

TEST(LineReader, HugeLineThroughPipeInSmallPieces) {
  // Short reads: the too-large line arrives in odd-sized pieces.
  constexpr std::size_t kHuge = 300000;
  std::string content = "x1\n";
  content.append(kHuge, 'h');
  content += "\nx2\n";
  content.append(65, 'i');  // just over the limit
  content += "\nx3";
  PipeInput input(content, 37);
  const auto got = read_all(input.fd(), 64);
  ASSERT_EQ(got.size(), 5U);
  EXPECT_EQ(got[0].bytes, "x1");
  EXPECT_TRUE(got[1].too_large);
  EXPECT_EQ(got[1].original_size, kHuge);
  EXPECT_EQ(got[2].bytes, "x2");
  EXPECT_EQ(got[2].number, 3U);
  EXPECT_TRUE(got[3].too_large);
  EXPECT_EQ(got[3].original_size, 65U);
  EXPECT_EQ(got[4].bytes, "x3");
  EXPECT_EQ(got[4].number, 5U);
}

TEST(LineReader, HugeLineThroughPipeInLargePieces) {
  constexpr std::size_t kHuge = 20U << 20;
  std::string content;
  content.append(kHuge, 'h');
  content += "\nnormal\n";
  PipeInput input(content, 1U << 20);
  const auto got = read_all(input.fd(), 64);
  ASSERT_EQ(got.size(), 2U);
  EXPECT_TRUE(got[0].too_large);
  EXPECT_EQ(got[0].original_size, kHuge);
  EXPECT_EQ(got[1].bytes, "normal");
  EXPECT_EQ(got[1].number, 2U);
}

namespace {

std::string numbered_line(std::size_t i) {
  // Varying lengths so lines straddle the buffer end at different offsets.
  return "line-" + std::to_string(i) + "-" + std::string(i % 97, static_cast<char>('a' + i % 26));
}

}  // namespace

TEST(LineReader, ManyLinesAcrossBufferRefills) {
  constexpr std::size_t kLines = 100000;
  std::string content;
  for (std::size_t i = 1; i <= kLines; ++i) {
    content += numbered_line(i);
    content += (i % 3 == 0) ? "\r\n" : "\n";
  }
  ASSERT_GT(content.size(), 4U << 20) << "input must be larger than one buffer";
  const auto got = read_string(content, 1024);
  ASSERT_EQ(got.size(), kLines);
  for (std::size_t i = 1; i <= kLines; ++i) {
    const auto& g = got[i - 1];
    ASSERT_EQ(g.number, i);
    ASSERT_FALSE(g.too_large) << i;
    ASSERT_EQ(g.bytes, numbered_line(i)) << i;
  }
}

TEST(LineReader, ManyLinesThroughPipe) {
  constexpr std::size_t kLines = 20000;
  std::string content;
  for (std::size_t i = 1; i <= kLines; ++i) content += numbered_line(i) + "\n";
  PipeInput input(content, 4093);
  const auto got = read_all(input.fd(), 256);
  ASSERT_EQ(got.size(), kLines);
  for (std::size_t i = 1; i <= kLines; ++i) ASSERT_EQ(got[i - 1].bytes, numbered_line(i)) << i;
}

TEST(LineReader, LongLinesNearTheLimitAcrossRefills) {
  // max_line_bytes large enough that the buffer holds only a few lines.
  constexpr std::size_t kMax = 3U << 20;
  std::vector<std::string> lines;
  for (int i = 0; i < 6; ++i) lines.emplace_back(kMax - static_cast<std::size_t>(i), static_cast<char>('A' + i));
  std::string content;
  for (const auto& l : lines) content += l + "\n";
  const auto got = read_string(content, kMax);
  ASSERT_EQ(got.size(), lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_FALSE(got[i].too_large) << i;
    EXPECT_TRUE(got[i].bytes == lines[i]) << i;
  }
}

TEST(LineReader, NextBlockReturnsBufferedLinesInOrder) {
  std::string content;
  for (int i = 1; i <= 50; ++i) content += "l" + std::to_string(i) + "\n";
  content += std::string(200, 'x') + "\nafter\n";
  TempInput input(content);
  LineReader reader(input.fd(), 100, kPadding);
  std::vector<Line> block;
  std::vector<Got> got;
  while (reader.next_block(block, 16)) {
    EXPECT_FALSE(block.empty());
    EXPECT_LE(block.size(), 16U);
    for (std::size_t i = 0; i < block.size(); ++i) {
      const Line& l = block[i];
      if (l.too_large) {
        EXPECT_EQ(i, block.size() - 1) << "a too-large line ends the block";
      } else {
        EXPECT_GE(l.capacity, l.bytes.size() + kPadding);
      }
      got.push_back({l.number, std::string(l.bytes), l.original_size, l.too_large});
    }
  }
  ASSERT_EQ(got.size(), 52U);
  for (std::size_t i = 0; i < 50; ++i) {
    EXPECT_EQ(got[i].number, i + 1);
    EXPECT_EQ(got[i].bytes, "l" + std::to_string(i + 1));
  }
  EXPECT_TRUE(got[50].too_large);
  EXPECT_EQ(got[50].original_size, 200U);
  EXPECT_EQ(got[51].bytes, "after");
  EXPECT_EQ(got[51].number, 52U);
}

TEST(LineReader, ReadErrorThrows) {
  LineReader reader(-1, 64, kPadding);
  Line line;
  EXPECT_THROW(reader.next(line), std::system_error);
}

namespace {

// The specification of LineReader as a plain string split, for comparison.
std::vector<Got> reference_split(const std::string& content, std::size_t max_line_bytes) {
  std::vector<Got> out;
  std::size_t begin = 0;
  std::uint64_t number = 0;
  while (begin < content.size()) {
    std::size_t nl = content.find('\n', begin);
    const bool last = nl == std::string::npos;
    if (last) nl = content.size();
    std::size_t raw = nl - begin;
    if (raw > 0 && content[begin + raw - 1] == '\r') --raw;  // the limit is on content, not the CRLF
    Got g{++number, "", raw, raw > max_line_bytes};
    if (!g.too_large) g.bytes = content.substr(begin, raw);
    out.push_back(g);
    begin = nl + 1;
  }
  return out;
}

}  // namespace

TEST(LineReader, RandomInputMatchesAPlainSplit) {
  constexpr std::size_t kMax = 64;
  std::mt19937 rng(20261120);
  for (int round = 0; round < 40; ++round) {
    std::string content;
    const int lines = 1 + static_cast<int>(rng() % 400);
    for (int i = 0; i < lines; ++i) {
      std::size_t len = rng() % (kMax + 8);
      if (rng() % 50 == 0) len = 1000 + rng() % 200000;  // occasionally far too large
      for (std::size_t j = 0; j < len; ++j) content += static_cast<char>('a' + (i + static_cast<int>(j)) % 26);
      if (rng() % 4 == 0) content += '\r';
      if (i + 1 < lines || rng() % 2 == 0) content += '\n';
    }
    const auto expected = reference_split(content, kMax);
    PipeInput input(content, 1 + rng() % 5000);
    const auto got = read_all(input.fd(), kMax, 32);
    ASSERT_EQ(got.size(), expected.size()) << "round " << round;
    for (std::size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].number, expected[i].number) << "round " << round << " line " << i;
      ASSERT_EQ(got[i].too_large, expected[i].too_large) << "round " << round << " line " << i;
      ASSERT_EQ(got[i].original_size, expected[i].original_size) << "round " << round << " line " << i;
      ASSERT_EQ(got[i].bytes, expected[i].bytes) << "round " << round << " line " << i;
    }
  }
}

TEST(LineReader, NextBlockMatchesAPlainSplit) {
  constexpr std::size_t kMax = 100;
  std::mt19937 rng(7);
  std::string content;
  for (int i = 0; i < 200000; ++i) {
    std::size_t len = rng() % (kMax + 3);
    if (rng() % 50000 == 0) len = 5U << 20;  // a few lines over several buffer fills
    else if (rng() % 500 == 0) len = 1000 + rng() % 100000;
    content.append(len, static_cast<char>('a' + i % 26));
    content += (rng() % 3 == 0) ? "\r\n" : "\n";
  }
  const auto expected = reference_split(content, kMax);
  ASSERT_TRUE(std::any_of(expected.begin(), expected.end(), [](const Got& g) { return g.original_size > (4U << 20); }))
      << "the input must contain a line longer than one buffer";
  TempInput input(content);
  LineReader reader(input.fd(), kMax, kPadding);
  std::vector<Line> block;
  std::size_t next = 0;
  while (reader.next_block(block, 1000)) {
    for (const Line& line : block) {
      ASSERT_LT(next, expected.size());
      const Got& want = expected[next++];
      ASSERT_EQ(line.number, want.number);
      ASSERT_EQ(line.too_large, want.too_large) << line.number;
      ASSERT_EQ(line.original_size, want.original_size) << line.number;
      ASSERT_EQ(line.bytes, want.bytes) << line.number;
      if (!line.too_large) {
        ASSERT_GE(line.capacity, line.bytes.size() + kPadding);
      }
    }
  }
  EXPECT_EQ(next, expected.size());
}

TEST(LineReader, CrLfLineAtTheLimitIsKept) {
  // The limit is on the line's content; a CRLF ending does not count, also
  // when the line is larger than the reader's minimum buffer.
  for (const std::size_t limit : {std::size_t{16}, std::size_t{3} << 20}) {
    const std::string at_limit(limit, 'a');
    const std::string over(limit + 1, 'b');
    const auto got = read_string(at_limit + "\r\n" + over + "\r\n" + at_limit + "\r", limit);
    ASSERT_EQ(got.size(), 3U) << limit;
    EXPECT_FALSE(got[0].too_large) << limit;
    EXPECT_EQ(got[0].bytes, at_limit) << limit;
    EXPECT_TRUE(got[1].too_large) << limit;
    EXPECT_EQ(got[1].original_size, limit + 1) << limit;
    EXPECT_FALSE(got[2].too_large) << limit;
    EXPECT_EQ(got[2].bytes.size(), limit) << limit;
  }
}
