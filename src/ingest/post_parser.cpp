#include "ingest/post_parser.hpp"

#include "ingest/rfc3339.hpp"

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

// The fields of a post, in one place so the field loop and the checks agree.
enum Field : std::uint8_t { kId, kPlatform, kUrl, kCreatedAt, kLang, kVisibility, kText, kAuthor, kFieldCount };
constexpr std::array<std::string_view, kFieldCount> kFieldNames{
    "id", "platform", "url", "created_at", "lang", "visibility", "text", "author"};

int field_index(std::string_view key) {
  for (std::size_t i = 0; i < kFieldNames.size(); ++i) {
    if (kFieldNames[i] == key) return static_cast<int>(i);
  }
  return -1;
}

bool read_string(od::value& value, std::string_view name, std::string_view& out,
                 ParseFailure& failure) {
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
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\r' || raw.back() == '\n')) raw.remove_suffix(1);
      post.author_id = raw;
    } else if (!read_string(id, "author.id", post.author_id, failure)) {
      return false;
    }
  }
  return true;
}

bool parse_post(od::document& doc, Post& post, ParseFailure& failure) {
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
  if (doc.current_location().get(location) == simdjson::SUCCESS) {
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
  if (auto created = parse_rfc3339_ms(post.created_at)) {
    post.created_ms = *created;
  } else {
    return fail(failure, RejectReason::kInvalidValue, "field 'created_at' is not an RFC 3339 date-time");
  }
  return true;
}

}  // namespace

PostParser::PostParser(ParseLimits limits) : limits_(limits) {
  // Allocate once for the largest accepted document: no allocation per post.
  if (parser_.allocate(limits_.max_document_bytes, limits_.max_depth) != simdjson::SUCCESS) {
    throw std::bad_alloc();
  }
}

ParseOutcome PostParser::parse(std::string_view document, std::size_t capacity, Post& post,
                               ParseFailure& failure) {
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
  if (auto err = parser_.iterate(simdjson::padded_string_view(document.data(), document.size(), capacity))
                     .get(doc)) {
    fail_json(failure, err);
    return ParseOutcome::kRejected;
  }
  return parse_post(doc, post, failure) ? ParseOutcome::kPost : ParseOutcome::kRejected;
}

ParseOutcome PostParser::parse_copy(std::string_view document, Post& post, ParseFailure& failure) {
  if (document.size() > limits_.max_document_bytes) return parse(document, 0, post, failure);
  padded_copy_.resize(document.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(padded_copy_.data(), document.data(), document.size());
  std::memset(padded_copy_.data() + document.size(), 0, simdjson::SIMDJSON_PADDING);
  return parse(std::string_view(padded_copy_.data(), document.size()), padded_copy_.size(), post, failure);
}

}  // namespace wachtpost
