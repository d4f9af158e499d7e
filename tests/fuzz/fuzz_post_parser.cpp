// PostParser on arbitrary bytes, with the default limits and with small ones.
// Besides not crashing it must keep the promises the rest of the pipeline
// builds on: an accepted post's strings are valid UTF-8 (the normaliser and
// the alert writer rely on it), a public post has its required fields, the
// limits hold, bytes past the document never change the result (the batch
// path hands the parser lines whose padding is the next line), and
// parse_lines() says of every line exactly what parsing that line alone says.

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "ingest/line_reader.hpp"
#include "ingest/post_parser.hpp"
#include "ingest/rfc3339.hpp"

using namespace wachtpost;

namespace {

constexpr std::size_t kPadding = simdjson::SIMDJSON_PADDING;

struct Result {
  ParseOutcome outcome = ParseOutcome::kRejected;
  RejectReason reason = RejectReason::kNotJson;
  std::string id, platform, url, created_at, lang, visibility, text, author_id;
  std::int64_t created_ms = 0;

  bool operator==(const Result&) const = default;
};

bool valid_utf8(std::string_view text) {
  return simdjson::validate_utf8(text.data(), text.size());
}

// Deepest bracket nesting outside strings.
std::size_t nesting(std::string_view document) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < document.size(); ++i) {
    const char c = document[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

Result check_outcome(std::string_view document, const ParseLimits& limits, ParseOutcome outcome, const Post& post,
                     const ParseFailure& failure) {
  Result r;
  r.outcome = outcome;
  WACHTPOST_FUZZ_CHECK(outcome == ParseOutcome::kPost || outcome == ParseOutcome::kRejected);
  if (outcome == ParseOutcome::kRejected) {
    r.reason = failure.reason;
    WACHTPOST_FUZZ_CHECK(!reject_reason_name(failure.reason).empty() &&
                         reject_reason_name(failure.reason) != "unknown");
    WACHTPOST_FUZZ_CHECK(!failure.detail.empty());
    if (document.size() > limits.max_document_bytes) WACHTPOST_FUZZ_CHECK(failure.reason == RejectReason::kTooLarge);
    return r;
  }
  WACHTPOST_FUZZ_CHECK(document.size() <= limits.max_document_bytes);
  WACHTPOST_FUZZ_CHECK(nesting(document) <= limits.max_depth);
  for (const std::string_view field :
       {post.id, post.platform, post.url, post.created_at, post.lang, post.visibility, post.text, post.author_id}) {
    WACHTPOST_FUZZ_CHECK(valid_utf8(field));
  }
  if (post.is_public()) {
    WACHTPOST_FUZZ_CHECK(!post.id.empty() && !post.platform.empty());
    const auto created = parse_rfc3339_ms(post.created_at);
    WACHTPOST_FUZZ_CHECK(created.has_value() && *created == post.created_ms);
  }
  r.id = post.id;
  r.platform = post.platform;
  r.url = post.url;
  r.created_at = post.created_at;
  r.lang = post.lang;
  r.visibility = post.visibility;
  r.text = post.text;
  r.author_id = post.author_id;
  r.created_ms = post.created_ms;
  return r;
}

std::string describe(const Result& r) {
  if (r.outcome != ParseOutcome::kPost) return "rejected (" + std::string(reject_reason_name(r.reason)) + ")";
  return "post id='" + r.id + "' text='" + r.text + "' visibility='" + r.visibility + "'";
}

Result parse_alone(PostParser& parser, std::string_view document) {
  Post post;
  ParseFailure failure;
  const ParseOutcome outcome = parser.parse_copy(document, post, failure);
  return check_outcome(document, parser.limits(), outcome, post, failure);
}

// The document followed by bytes that look like more JSON, as when a line is
// parsed in place inside LineReader's buffer: the result must not change.
Result parse_in_place(PostParser& parser, std::string_view document) {
  static constexpr std::string_view kNoise = "\n{\"id\":\"x\",\"text\":\"\\u0041\"}]}\"\n";
  std::string buffer(document);
  while (buffer.size() < document.size() + kPadding) buffer += kNoise;
  Post post;
  ParseFailure failure;
  const ParseOutcome outcome =
      parser.parse(std::string_view(buffer.data(), document.size()), buffer.size(), post, failure);
  return check_outcome(document, parser.limits(), outcome, post, failure);
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

// Splits `input` into lines and blocks the way LineReader::next_block does
// (one buffer, zeroed padding after the end, a too-large line ends a block)
// and checks parse_lines() against parsing each line alone.
void check_lines(PostParser& batch, PostParser& single, std::string_view input) {
  const std::size_t max_line = batch.limits().max_document_bytes;
  std::vector<char> buffer(input.begin(), input.end());
  buffer.resize(input.size() + kPadding, '\0');

  std::vector<Line> all;
  std::size_t start = 0;
  while (start < input.size()) {
    const std::size_t newline = input.find('\n', start);
    const std::size_t stop = newline == std::string_view::npos ? input.size() : newline;
    std::size_t length = stop - start;
    if (length > 0 && input[start + length - 1] == '\r') --length;
    Line line;
    line.number = all.size() + 1;
    line.original_size = length;
    line.too_large = length > max_line;
    if (!line.too_large) {
      line.bytes = std::string_view(buffer.data() + start, length);
      line.capacity = buffer.size() - start;
    }
    all.push_back(line);
    start = stop + 1;
  }

  std::size_t delivered = 0;
  std::size_t next = 0;
  while (next < all.size()) {
    std::size_t end = next;
    while (end < all.size() && !all[end].too_large) ++end;
    if (end < all.size()) ++end;  // the too-large line closes its block
    const std::span<const Line> block(all.data() + next, end - next);
    batch.parse_lines(
        block, [&](const Line& line, ParseOutcome outcome, const Post& post, const ParseFailure& failure) {
          // Once per line, in order.
          WACHTPOST_FUZZ_CHECK(delivered < all.size() && line.number == all[delivered].number);
          ++delivered;
          if (line.too_large) {
            WACHTPOST_FUZZ_CHECK(outcome == ParseOutcome::kRejected && failure.reason == RejectReason::kTooLarge);
            return;
          }
          if (trim(line.bytes).empty()) {
            WACHTPOST_FUZZ_CHECK(outcome == ParseOutcome::kBlank);
            return;
          }
          const Result got = check_outcome(line.bytes, batch.limits(), outcome, post, failure);
          const Result alone = parse_alone(single, line.bytes);
          if (got != alone) {
            std::fprintf(stderr, "line %llu: in a batch %s, alone %s\n", static_cast<unsigned long long>(line.number),
                         describe(got).c_str(), describe(alone).c_str());
          }
          WACHTPOST_FUZZ_CHECK(got == alone);
        });
    WACHTPOST_FUZZ_CHECK(delivered == end);
    next = end;
  }
}

ParseLimits small_limits() {
  ParseLimits limits;
  limits.max_document_bytes = 200;
  limits.max_depth = 2;
  return limits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Parsers allocate for their largest batch once; make them once.
  static PostParser parser;
  static PostParser batch;
  static PostParser small_parser(small_limits());
  static PostParser small_batch(small_limits());

  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Result alone = parse_alone(parser, input);
  WACHTPOST_FUZZ_CHECK(parse_in_place(parser, input) == alone);
  const Result small = parse_alone(small_parser, input);
  WACHTPOST_FUZZ_CHECK(parse_in_place(small_parser, input) == small);
  // Tighter limits only ever refuse more.
  if (small.outcome == ParseOutcome::kPost) WACHTPOST_FUZZ_CHECK(alone == small);

  check_lines(batch, parser, input);
  check_lines(small_batch, small_parser, input);
  return 0;
}
