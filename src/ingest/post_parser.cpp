#include "ingest/post_parser.hpp"

#include "ingest/rfc3339.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

namespace wachtpost {

std::string_view reject_reason_name(RejectReason reason) {
  switch (reason) {
    case RejectReason::kNotJson: return "not_json";
    case RejectReason::kTruncated: return "truncated";
    case RejectReason::kInvalidUtf8: return "invalid_utf8";
    case RejectReason::kTooLarge: return "too_large";
    case RejectReason::kTooDeep: return "too_deep";
    case RejectReason::kMissingField: return "missing_field";
    case RejectReason::kWrongType: return "wrong_type";
    case RejectReason::kInvalidValue: return "invalid_value";
    case RejectReason::kDuplicateKey: return "duplicate_key";
  }
  return "unknown";
}

namespace {

using simdjson::error_code;
namespace od = simdjson::ondemand;

RejectReason reason_for(error_code code) {
  switch (code) {
    case simdjson::UTF8_ERROR: return RejectReason::kInvalidUtf8;
    case simdjson::UNCLOSED_STRING:
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
    case simdjson::EMPTY: return RejectReason::kTruncated;
    case simdjson::DEPTH_ERROR: return RejectReason::kTooDeep;
    case simdjson::CAPACITY: return RejectReason::kTooLarge;
    default: return RejectReason::kNotJson;
  }
}

bool fail(ParseFailure& failure, RejectReason reason, std::string detail) {
  failure.reason = reason;
  failure.detail = std::move(detail);
  return false;
}

bool fail_json(ParseFailure& failure, error_code code) {
  if (code == simdjson::UTF8_ERROR) return fail(failure, RejectReason::kInvalidUtf8, "invalid UTF-8");
  return fail(failure, reason_for(code), simdjson::error_message(code));
}

// What the brackets of a document (outside strings) say about its shape.
struct BracketShape {
  std::size_t max_depth = 0;
  bool closes = false;    // the first value's brackets all close
  bool trailing = false;  // something other than whitespace follows it
};

BracketShape bracket_shape(std::string_view document) {
  BracketShape shape;
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < document.size(); ++i) {
    const char c = document[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      shape.max_depth = std::max(shape.max_depth, ++depth);
    } else if ((c == '}' || c == ']') && depth > 0) {
      if (--depth == 0 && !shape.closes) {
        shape.closes = true;
        shape.trailing = document.find_first_not_of(" \t\r\n", i + 1) != std::string_view::npos;
      }
    }
  }
  return shape;
}

// simdjson's On-Demand front end checks depth only for the values it walks,
// not for the ones it skips (an unknown field), so depth is checked here. A
// document with few opening brackets cannot nest deeply: memchr (vectorised
// in glibc) counts them and stops once there are enough to matter, so the
// scalar pass runs only on documents that could.
bool nests_too_deep(std::string_view document, std::size_t max_depth) {
  std::size_t opens = 0;
  for (const char bracket : {'{', '['}) {
    const char* at = document.data();
    const char* const end = document.data() + document.size();
    while (opens <= max_depth && at < end) {
      const void* found = std::memchr(at, bracket, static_cast<std::size_t>(end - at));
      if (found == nullptr) break;
      ++opens;
      at = static_cast<const char*>(found) + 1;
    }
  }
  return opens > max_depth && bracket_shape(document).max_depth > max_depth;
}

// simdjson reports a line cut short in several ways (an unclosed object, a
// tape error after a nested object) and reports trailing content like a cut.
// On the error path only, the brackets tell which it was.
void classify_syntax_error(std::string_view document, ParseFailure& failure) {
  if (failure.reason != RejectReason::kTruncated && failure.reason != RejectReason::kNotJson) return;
  // Editors on some systems start a file with U+FEFF; JSON text has none
  // (RFC 8259 8.1), and "a post must be a JSON object" would not say why.
  if (document.starts_with("\xEF\xBB\xBF")) {
    failure.reason = RejectReason::kNotJson;
    failure.detail = "the line starts with a byte order mark (EF BB BF); a post is a JSON object without one";
    return;
  }
  const std::string_view text = document.substr(std::min(document.size(), document.find_first_not_of(" \t\r")));
  if (text.empty() || (text.front() != '{' && text.front() != '[')) return;
  const BracketShape shape = bracket_shape(text);
  if (!shape.closes) {
    failure.reason = RejectReason::kTruncated;
    failure.detail = "the document ends before its object is closed (cut short)";
  } else if (shape.trailing) {
    failure.reason = RejectReason::kNotJson;
    failure.detail = "unexpected content after the post object";
  }
}

// The fields of a post, in one place so the field loop and the checks agree.
enum Field : std::uint8_t { kId, kPlatform, kUrl, kCreatedAt, kLang, kVisibility, kText, kAuthor, kFieldCount };
constexpr std::array<std::string_view, kFieldCount> kFieldNames{"id",   "platform",   "url",  "created_at",
                                                                "lang", "visibility", "text", "author"};

int field_index(std::string_view key) {
  for (std::size_t i = 0; i < kFieldNames.size(); ++i) {
    if (kFieldNames[i] == key) return static_cast<int>(i);
  }
  return -1;
}

bool read_string(od::value& value, std::string_view name, std::string_view& out, ParseFailure& failure) {
  od::json_type type{};
  if (auto err = value.type().get(type)) return fail_json(failure, err);
  if (type != od::json_type::string) {
    return fail(failure, RejectReason::kWrongType, "field '" + std::string(name) + "' must be a string");
  }
  if (auto err = value.get_string().get(out)) return fail_json(failure, err);
  return true;
}

bool read_author(od::value& value, Post& post, ParseFailure& failure) {
  od::json_type type{};
  if (auto err = value.type().get(type)) return fail_json(failure, err);
  if (type == od::json_type::null) return true;
  if (type != od::json_type::object) {
    return fail(failure, RejectReason::kWrongType, "field 'author' must be an object");
  }
  od::object author;
  if (auto err = value.get_object().get(author)) return fail_json(failure, err);
  bool seen_id = false;
  for (auto field_result : author) {
    od::field field;
    if (auto err = std::move(field_result).get(field)) return fail_json(failure, err);
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return fail_json(failure, err);
    if (key != "id") continue;  // the handle and anything else are never read
    if (seen_id) return fail(failure, RejectReason::kDuplicateKey, "duplicate key 'author.id'");
    seen_id = true;
    od::value id = field.value();
    od::json_type id_type{};
    if (auto err = id.type().get(id_type)) return fail_json(failure, err);
    if (id_type == od::json_type::number) {
      // Some platforms use numeric ids; keep their JSON spelling.
      std::string_view raw = id.raw_json_token();
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\r' || raw.back() == '\n'))
        raw.remove_suffix(1);
      post.author_id = raw;
    } else if (!read_string(id, "author.id", post.author_id, failure)) {
      return false;
    }
  }
  return true;
}

// `Document` is a document or a document_reference from a stream; in a stream
// the check for trailing content is done by the caller, against the line.
template <typename Document>
bool parse_post(Document& doc, Post& post, ParseFailure& failure, bool check_trailing) {
  od::object object;
  if (auto err = doc.get_object().get(object)) {
    if (err == simdjson::INCORRECT_TYPE) {
      return fail(failure, RejectReason::kNotJson, "a post must be a JSON object");
    }
    return fail_json(failure, err);
  }
  std::array<bool, kFieldCount> seen{};
  for (auto field_result : object) {
    od::field field;
    if (auto err = std::move(field_result).get(field)) return fail_json(failure, err);
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return fail_json(failure, err);
    const int index = field_index(key);
    if (index < 0) continue;  // unknown fields are allowed: producers may add metadata
    auto& was_seen = seen[static_cast<std::size_t>(index)];
    if (was_seen) return fail(failure, RejectReason::kDuplicateKey, "duplicate key '" + std::string(key) + "'");
    was_seen = true;
    od::value value = field.value();
    const std::string_view name = kFieldNames[static_cast<std::size_t>(index)];
    bool ok = true;
    switch (static_cast<Field>(index)) {
      case kId: ok = read_string(value, name, post.id, failure); break;
      case kPlatform: ok = read_string(value, name, post.platform, failure); break;
      case kUrl: ok = read_string(value, name, post.url, failure); break;
      case kCreatedAt: ok = read_string(value, name, post.created_at, failure); break;
      case kVisibility: ok = read_string(value, name, post.visibility, failure); break;
      case kText: ok = read_string(value, name, post.text, failure); break;
      case kLang: {
        od::json_type type{};
        if (auto err = value.type().get(type)) return fail_json(failure, err);
        if (type != od::json_type::null) ok = read_string(value, name, post.lang, failure);
        break;
      }
      case kAuthor: ok = read_author(value, post, failure); break;
      case kFieldCount: break;
    }
    if (!ok) return false;
  }
  // Anything after the object (a second document, garbage) makes the line invalid.
  const char* location = nullptr;
  if (check_trailing && doc.current_location().get(location) == simdjson::SUCCESS) {
    return fail(failure, RejectReason::kNotJson, "unexpected content after the post object");
  }

  // A post not marked public is dropped by the caller before anything else is
  // looked at, even when it is otherwise incomplete.
  if (!post.is_public()) return true;
  for (Field required : {kId, kPlatform, kUrl, kCreatedAt, kText}) {
    if (!seen[required]) {
      return fail(failure, RejectReason::kMissingField,
                  "missing required field '" + std::string(kFieldNames[required]) + "'");
    }
  }
  if (post.id.empty()) return fail(failure, RejectReason::kInvalidValue, "field 'id' is empty");
  if (post.platform.empty()) return fail(failure, RejectReason::kInvalidValue, "field 'platform' is empty");
  if (auto created = parse_rfc3339_ms(post.created_at)) {
    post.created_ms = *created;
  } else {
    return fail(failure, RejectReason::kInvalidValue, "field 'created_at' is not an RFC 3339 date-time");
  }
  return true;
}

}  // namespace

PostParser::PostParser(ParseLimits limits) : limits_(limits) {
  // Allocate once for the largest batch: no allocation per post.
  if (parser_.allocate(batch_bytes(), limits_.max_depth) != simdjson::SUCCESS) {
    throw std::bad_alloc();
  }
}

ParseOutcome PostParser::parse(std::string_view document, std::size_t capacity, Post& post, ParseFailure& failure) {
  post = Post{};
  if (document.size() > limits_.max_document_bytes) {
    fail(failure, RejectReason::kTooLarge,
         "document of " + std::to_string(document.size()) + " bytes exceeds the limit of " +
             std::to_string(limits_.max_document_bytes));
    return ParseOutcome::kRejected;
  }
  if (capacity < document.size() + simdjson::SIMDJSON_PADDING) {
    return parse_copy(document, post, failure);
  }
  od::document doc;
  if (auto err = parser_.iterate(simdjson::padded_string_view(document.data(), document.size(), capacity)).get(doc)) {
    fail_json(failure, err);
    classify_syntax_error(document, failure);
    return ParseOutcome::kRejected;
  }
  if (nests_too_deep(document, limits_.max_depth)) {
    fail(failure, RejectReason::kTooDeep, "nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    return ParseOutcome::kRejected;
  }
  if (parse_post(doc, post, failure, true)) return ParseOutcome::kPost;
  classify_syntax_error(document, failure);
  return ParseOutcome::kRejected;
}

ParseOutcome PostParser::parse_copy(std::string_view document, Post& post, ParseFailure& failure) {
  if (document.size() > limits_.max_document_bytes) return parse(document, 0, post, failure);
  padded_copy_.resize(document.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(padded_copy_.data(), document.data(), document.size());
  std::memset(padded_copy_.data() + document.size(), 0, simdjson::SIMDJSON_PADDING);
  return parse(std::string_view(padded_copy_.data(), document.size()), padded_copy_.size(), post, failure);
}

namespace {

bool is_syntax_error(RejectReason reason) {
  return reason == RejectReason::kNotJson || reason == RejectReason::kTruncated ||
         reason == RejectReason::kInvalidUtf8 || reason == RejectReason::kTooDeep || reason == RejectReason::kTooLarge;
}

std::string_view trim_left(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  return first == std::string_view::npos ? std::string_view{} : text.substr(first);
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

}  // namespace

void PostParser::parse_lines(std::span<const Line> lines, const LineSink& sink) {
  Post post;
  ParseFailure failure;
  std::size_t next = 0;  // the first line not yet delivered
  std::size_t usable = lines.size();
  while (usable > 0 && lines[usable - 1].too_large) --usable;

  // Batches of consecutive lines go through iterate_many. A batch is used
  // only while every document is exactly one line; where a line breaks it (a
  // truncated line derails the stream, invalid UTF-8 fails a whole batch, two
  // documents on a line), lines are parsed one at a time up to and including
  // the first one refused, so its error names that line alone, and then the
  // rest is batched again. Retries are bounded so hostile input costs at most
  // a few extra passes over the block.
  constexpr int kMaxBatchAttempts = 4;
  for (int attempt = 0; attempt < kMaxBatchAttempts && usable - next >= 2; ++attempt) {
    const std::size_t before = next;
    next = parse_batch(lines.subspan(next, usable - next), sink, post, failure) + next;
    if (next >= usable) break;
    // Parse singly through the first refused line, then batch again.
    bool refused = false;
    while (next < usable && !refused) {
      refused = parse_single(lines[next], sink, post, failure) == ParseOutcome::kRejected;
      ++next;
    }
    if (!refused || next == before) break;
  }
  for (; next < lines.size(); ++next) parse_single(lines[next], sink, post, failure);
}

ParseOutcome PostParser::parse_single(const Line& line, const LineSink& sink, Post& post, ParseFailure& failure) {
  ParseOutcome outcome = ParseOutcome::kBlank;
  if (line.too_large) {
    fail(failure, RejectReason::kTooLarge,
         "line of " + std::to_string(line.original_size) + " bytes exceeds the limit of " +
             std::to_string(limits_.max_document_bytes));
    outcome = ParseOutcome::kRejected;
  } else if (!trim(line.bytes).empty()) {
    ++lines_parsed_singly_;
    outcome = parse(line.bytes, line.capacity, post, failure);
  }
  sink(line, outcome, post, failure);
  return outcome;
}

std::size_t PostParser::parse_batch(std::span<const Line> lines, const LineSink& sink, Post& post,
                                    ParseFailure& failure) {
  const char* block = lines.front().bytes.data();
  const Line& last = lines.back();
  const auto block_size = static_cast<std::size_t>(last.bytes.data() + last.bytes.size() - block);
  if (lines.front().capacity < block_size + simdjson::SIMDJSON_PADDING) return 0;
  od::document_stream stream;
  if (parser_.iterate_many(block, block_size, batch_bytes()).get(stream) != simdjson::SUCCESS) return 0;
  // simdjson 3.0 hands out the block's last document even when it is cut
  // short inside a string, as one that parses until On-Demand reaches the
  // cut; the last line that holds a document is therefore only trusted when
  // its own brackets close with nothing after them.
  std::size_t last_document = lines.size();
  while (last_document > 0 && trim(lines[last_document - 1].bytes).empty()) --last_document;
  std::size_t next = 0;
  for (auto it = stream.begin(); it != stream.end(); ++it) {
    if (it.error() != simdjson::SUCCESS) break;
    const auto offset = it.current_index();
    // Blank lines hold no document; deliver them as they are passed.
    while (next < lines.size() && trim(lines[next].bytes).empty() &&
           static_cast<std::size_t>(lines[next].bytes.data() - block) + lines[next].bytes.size() <= offset) {
      sink(lines[next], ParseOutcome::kBlank, post, failure);
      ++next;
    }
    if (next >= lines.size()) break;
    const Line& line = lines[next];
    if (offset !=
            static_cast<std::size_t>(line.bytes.data() - block) + (line.bytes.size() - trim_left(line.bytes).size()) ||
        it.source() != trim(line.bytes)) {
      break;  // not one document per line from here on
    }
    // parse() refuses a root object whose last byte is not '}' before reading
    // any field; a document of a stream skips that check.
    if (!it.source().ends_with('}')) break;  // the single parse names the reason
    if (next + 1 == last_document) {
      const BracketShape shape = bracket_shape(trim(line.bytes));
      if (!shape.closes || shape.trailing) break;  // the single parse names the reason
    }
    post = Post{};
    od::document_reference reference;
    if ((*it).get(reference) != simdjson::SUCCESS) break;
    if (nests_too_deep(it.source(), limits_.max_depth)) break;  // the single parse names the reason
    const bool ok = parse_post(reference, post, failure, false);
    // A document that is not well-formed JSON leaves the stream somewhere
    // inside it, so the documents after it cannot be trusted, and simdjson
    // words the error differently than for the line alone.
    if (!ok && is_syntax_error(failure.reason)) break;  // the single parse names the reason
    sink(line, ok ? ParseOutcome::kPost : ParseOutcome::kRejected, post, failure);
    ++next;
  }
  return next;
}

}  // namespace wachtpost
