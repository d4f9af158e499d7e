#pragma once
// Parses one post document with simdjson On-Demand.

#include <cstddef>
#include <string>
#include <string_view>

#include <simdjson.h>

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

enum class ParseOutcome : std::uint8_t { kPost, kRejected };

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

  [[nodiscard]] const ParseLimits& limits() const { return limits_; }

 private:
  ParseLimits limits_;
  simdjson::ondemand::parser parser_;
  std::string padded_copy_;
};

}  // namespace wachtpost
