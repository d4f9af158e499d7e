#pragma once
// Splits a byte stream into newline-delimited documents without copying them.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace wachtpost {

struct Line {
  std::uint64_t number = 0;     // 1-based
  std::string_view bytes;       // without the newline (and without a trailing '\r')
  std::size_t capacity = 0;     // readable bytes from bytes.data(), >= bytes.size() + padding
  std::size_t original_size = 0;  // the full line length, also when it was too large
  bool too_large = false;       // bytes is empty; the line was skipped
};

// Reads from a file descriptor into one reusable buffer. A line never needs
// more than `max_line_bytes` of memory: longer lines are skipped to their end
// and reported as too_large, so a hostile multi-gigabyte line is harmless.
class LineReader {
 public:
  LineReader(int fd, std::size_t max_line_bytes, std::size_t padding);

  // False at end of input. Throws std::system_error on a read error.
  bool next(Line& line);

  // Like next(), but also returns the further complete lines that are already
  // buffered (up to `max_lines`), so they can be parsed as one batch. All of
  // them are consecutive in one buffer; a too-large line ends the block. The
  // views stay valid until the next call.
  bool next_block(std::vector<Line>& lines, std::size_t max_lines = 4096);

 private:
  bool fill();  // reads more bytes; false at EOF

  int fd_;
  std::size_t max_line_bytes_;
  std::size_t padding_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;  // start of unconsumed bytes
  std::size_t end_ = 0;    // end of valid bytes
  std::size_t scan_ = 0;   // bytes in [begin_, scan_) hold no newline
  bool eof_ = false;
  std::uint64_t line_number_ = 0;
};

}  // namespace wachtpost
