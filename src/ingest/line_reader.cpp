#include "ingest/line_reader.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace wachtpost {

namespace {
constexpr std::size_t kMinBufferBytes = 4U << 20;  // 4 MiB: few read() calls per MB of posts
}

LineReader::LineReader(int fd, std::size_t max_line_bytes, std::size_t padding)
    : fd_(fd),
      max_line_bytes_(max_line_bytes),
      padding_(padding),
      buffer_(std::max(kMinBufferBytes, 2 * max_line_bytes + 2) + padding) {}

bool LineReader::fill() {
  if (eof_) return false;
  // Move the unconsumed tail to the front so a line is always contiguous.
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    scan_ -= begin_;
    begin_ = 0;
  }
  const std::size_t room = buffer_.size() - padding_ - end_;
  if (room == 0) return true;  // caller handles the full buffer
  for (;;) {
    const ssize_t n = ::read(fd_, buffer_.data() + end_, room);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "read");
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    end_ += static_cast<std::size_t>(n);
    // simdjson may read past the document; keep the padding zeroed so it
    // never sees stale bytes that look like JSON.
    std::memset(buffer_.data() + end_, 0, std::min(padding_, buffer_.size() - end_));
    return true;
  }
}

bool LineReader::next(Line& line) {
  bool skipping = false;  // inside a too-large line, discarding to its end
  std::size_t skipped = 0;
  bool skipped_cr = false;  // the discarded part ended in '\r' (maybe of a CRLF)
  for (;;) {
    const char* base = buffer_.data();
    const void* nl = scan_ < end_ ? std::memchr(base + scan_, '\n', end_ - scan_) : nullptr;
    if (nl != nullptr) {
      const auto pos = static_cast<std::size_t>(static_cast<const char*>(nl) - base);
      std::size_t len = pos - begin_;
      const std::size_t start = begin_;
      begin_ = scan_ = pos + 1;
      ++line_number_;
      line.number = line_number_;
      if (len > 0 && base[start + len - 1] == '\r') --len;  // the limit is on content, not the CRLF
      if (pos == start && skipped_cr) --skipped;
      line.original_size = skipped + len;
      if (skipping || len > max_line_bytes_) {
        line.too_large = true;
        line.bytes = {};
        line.capacity = 0;
        return true;
      }
      line.too_large = false;
      line.bytes = std::string_view(base + start, len);
      line.capacity = buffer_.size() - start;
      return true;
    }
    scan_ = end_;
    if (end_ - begin_ > max_line_bytes_ + 1) {  // + 1: a line at the limit may still end in "\r\n"
      // No newline within the limit: drop what we have and keep discarding.
      skipping = true;
      skipped += end_ - begin_;
      skipped_cr = buffer_[end_ - 1] == '\r';
      begin_ = scan_ = end_;
    }
    if (!fill()) {
      // Remaining bytes without a final newline form the last line.
      if (end_ == begin_ && !skipping) return false;
      const std::size_t start = begin_;
      std::size_t len = end_ - begin_;
      begin_ = scan_ = end_;
      ++line_number_;
      line.number = line_number_;
      if (len > 0 && buffer_[start + len - 1] == '\r') --len;
      if (len == 0 && skipped_cr) --skipped;
      line.original_size = skipped + len;
      if (skipping || len > max_line_bytes_) {
        line.too_large = true;
        line.bytes = {};
        line.capacity = 0;
        return true;
      }
      // fill() zeroed the padding after end_.
      std::memset(buffer_.data() + end_, 0, padding_);
      line.too_large = false;
      line.bytes = std::string_view(buffer_.data() + start, len);
      line.capacity = buffer_.size() - start;
      return true;
    }
  }
}

bool LineReader::next_block(std::vector<Line>& lines, std::size_t max_lines) {
  lines.clear();
  Line line;
  if (!next(line)) return false;
  lines.push_back(line);
  // Add the complete lines already in the buffer, without reading: reading
  // may move the buffer and would invalidate the lines taken so far.
  while (!line.too_large && lines.size() < max_lines) {
    const char* base = buffer_.data();
    const void* nl = scan_ < end_ ? std::memchr(base + scan_, '\n', end_ - scan_) : nullptr;
    if (nl == nullptr) break;
    const auto pos = static_cast<std::size_t>(static_cast<const char*>(nl) - base);
    std::size_t len = pos - begin_;
    const std::size_t start = begin_;
    begin_ = scan_ = pos + 1;
    line.number = ++line_number_;
    if (len > 0 && base[start + len - 1] == '\r') --len;
    line.original_size = len;
    line.too_large = len > max_line_bytes_;
    if (line.too_large) {
      line.bytes = {};
      line.capacity = 0;
    } else {
      line.bytes = std::string_view(base + start, len);
      line.capacity = buffer_.size() - start;
    }
    lines.push_back(line);
  }
  return true;
}

}  // namespace wachtpost
