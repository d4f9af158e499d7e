#pragma once
// The input contract: one post as the parser sees it (topics/posts.schema.json).

#include <cstdint>
#include <string_view>

namespace wachtpost {

// A parsed post. Every view points into the parser's buffers and stays valid
// until the same PostParser parses the next document.
struct Post {
  std::string_view id;
  std::string_view platform;
  std::string_view url;
  std::string_view created_at;
  std::string_view lang;  // empty when absent
  std::string_view visibility;
  std::string_view text;
  // The author is only ever used to derive a keyed pseudonym; it never takes
  // part in matching and is never written out in clear.
  std::string_view author_id;  // empty when absent
  std::int64_t created_ms = 0;  // created_at as milliseconds since the epoch

  [[nodiscard]] bool is_public() const { return visibility == "public"; }
};

// Why a line or message was refused. Stable names: they appear in logs,
// dead-letter headers and metric labels.
enum class RejectReason : std::uint8_t {
  kNotJson,
  kTruncated,
  kInvalidUtf8,
  kTooLarge,
  kTooDeep,
  kMissingField,
  kWrongType,
  kInvalidValue,
  kDuplicateKey,
};

std::string_view reject_reason_name(RejectReason reason);

}  // namespace wachtpost
