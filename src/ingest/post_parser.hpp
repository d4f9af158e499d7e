#pragma once
// Parses one post document with simdjson On-Demand.

#include <cstddef>
#include <string>
#include <functional>
#include <span>
#include <string_view>

#include <simdjson.h>

#include "ingest/line_reader.hpp"
#include "ingest/post.hpp"

namespace wachtpost {

struct ParseLimits {
  // A post is a short public message; anything above this is refused before
  // parsing so one hostile line cannot make the process allocate gigabytes.
  std::size_t max_document_bytes = 1U << 20;  // 1 MiB
  // Posts are flat objects; deep nesting only ever shows up in hostile input.
  std::size_t max_depth = 32;
};

struct ParseFailure {
  RejectReason reason = RejectReason::kNotJson;
  std::string detail;  // never contains post content
};

enum class ParseOutcome : std::uint8_t {
  kPost,
  kRejected,
  kBlank,  // only from parse_lines: an empty or all-whitespace line
};

class PostParser {
 public:
  explicit PostParser(ParseLimits limits = {});

  // Parses `document`. simdjson reads up to SIMDJSON_PADDING bytes past the
  // end, so `capacity` (>= document.size() + SIMDJSON_PADDING) says how many
  // bytes starting at document.data() are readable; callers that own a padded
  // buffer pass its remaining size and nothing is copied. On kPost, `post`
  // views stay valid until the next call.
  ParseOutcome parse(std::string_view document, std::size_t capacity, Post& post,
                     ParseFailure& failure);

  // Convenience for callers without a padded buffer: copies into an internal
  // padded buffer first.
  ParseOutcome parse_copy(std::string_view document, Post& post, ParseFailure& failure);

  // Parses consecutive lines of one buffer (LineReader::next_block) and calls
  // `sink` once per line, in order. Batches are parsed with simdjson's
  // iterate_many; a line that does not parse as exactly one document falls
  // back to per-line parsing, so its error names that line alone.
  using LineSink = std::function<void(const Line&, ParseOutcome, const Post&, const ParseFailure&)>;
  void parse_lines(std::span<const Line> lines, const LineSink& sink);

  [[nodiscard]] const ParseLimits& limits() const { return limits_; }

  // Lines parse_lines() had to parse one at a time (after a line that broke
  // the batch). Near zero on clean input; shows the cost of broken input.
  [[nodiscard]] std::uint64_t lines_parsed_singly() const { return lines_parsed_singly_; }

 private:
  // Returns how many of `lines` were delivered from one iterate_many pass.
  std::size_t parse_batch(std::span<const Line> lines, const LineSink& sink, Post& post, ParseFailure& failure);
  ParseOutcome parse_single(const Line& line, const LineSink& sink, Post& post, ParseFailure& failure);

  // iterate_many needs a batch larger than the largest document.
  [[nodiscard]] std::size_t batch_bytes() const { return limits_.max_document_bytes + 1024; }

  ParseLimits limits_;
  simdjson::ondemand::parser parser_;
  std::string padded_copy_;
  std::uint64_t lines_parsed_singly_ = 0;
};

}  // namespace wachtpost
