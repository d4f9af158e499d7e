// PostParser::parse / parse_copy on single documents: every field, escapes,
// field order, unknown fields, author handling, and every RejectReason.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "ingest/post.hpp"
#include "ingest/post_parser.hpp"

using namespace wachtpost;

namespace {

constexpr std::string_view kSecretText = "ik weet waar je woont SECRET-TEXT-4711";
constexpr std::string_view kSecretAuthor = "author-secret-77";
constexpr std::string_view kSecretHandle = "secret_handle_99";

using Fields = std::vector<std::pair<std::string, std::string>>;  // key, raw JSON value

std::string json_str(std::string_view s) { return "\"" + std::string(s) + "\""; }

Fields base_fields() {
  return {
      {"id", json_str("1234567890")},
      {"platform", json_str("x")},
      {"url", json_str("https://x.example/p/1234567890")},
      {"created_at", json_str("2026-11-20T09:15:00Z")},
      {"lang", json_str("nl")},
      {"visibility", json_str("public")},
      {"text", json_str(kSecretText)},
      {"author", R"({"id":")" + std::string(kSecretAuthor) + R"(","handle":"@)" + std::string(kSecretHandle) + "\"}"},
  };
}

std::string to_json(const Fields& fields) {
  std::string out = "{";
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += json_str(fields[i].first) + ":" + fields[i].second;
  }
  out += '}';
  return out;
}

Fields without(Fields fields, std::string_view key) {
  std::erase_if(fields, [&](const auto& f) { return f.first == key; });
  return fields;
}

Fields with(Fields fields, const std::string& key, const std::string& raw) {
  for (auto& f : fields) {
    if (f.first == key) {
      f.second = raw;
      return fields;
    }
  }
  fields.emplace_back(key, raw);
  return fields;
}

std::string base_json() { return to_json(base_fields()); }

// All views of a post, for "does X appear anywhere" checks.
std::vector<std::string_view> all_views(const Post& p) {
  return {p.id, p.platform, p.url, p.created_at, p.lang, p.visibility, p.text, p.author_id};
}

// Parses `doc` (copying) and expects a rejection; returns the reason.
RejectReason rejection(const std::string& doc, const ParseLimits& limits = {}) {
  PostParser parser(limits);
  Post post;
  ParseFailure failure;
  const ParseOutcome outcome = parser.parse_copy(doc, post, failure);
  EXPECT_EQ(outcome, ParseOutcome::kRejected) << doc.substr(0, 200);
  EXPECT_FALSE(failure.detail.empty());
  return failure.reason;
}

std::string name(RejectReason r) { return std::string(reject_reason_name(r)); }

}  // namespace

TEST(PostParser, ValidPostGivesEveryField) {
  PostParser parser;
  Post post;
  ParseFailure failure;
  ASSERT_EQ(parser.parse_copy(base_json(), post, failure), ParseOutcome::kPost) << failure.detail;
  EXPECT_EQ(post.id, "1234567890");
  EXPECT_EQ(post.platform, "x");
  EXPECT_EQ(post.url, "https://x.example/p/1234567890");
  EXPECT_EQ(post.created_at, "2026-11-20T09:15:00Z");
  EXPECT_EQ(post.lang, "nl");
  EXPECT_EQ(post.visibility, "public");
  EXPECT_TRUE(post.is_public());
  EXPECT_EQ(post.text, kSecretText);
  EXPECT_EQ(post.author_id, kSecretAuthor);
  EXPECT_EQ(post.created_ms, 1795166100000);  // python3: calendar.timegm((2026,11,20,9,15,0))*1000
}

TEST(PostParser, ParseFromPaddedBuffer) {
  const std::string doc = base_json();
  std::string buffer = doc + std::string(simdjson::SIMDJSON_PADDING, '\0');
  PostParser parser;
  Post post;
  ParseFailure failure;
  ASSERT_EQ(parser.parse(std::string_view(buffer.data(), doc.size()), buffer.size(), post, failure),
            ParseOutcome::kPost)
      << failure.detail;
  EXPECT_EQ(post.id, "1234567890");
  EXPECT_EQ(post.text, kSecretText);
  EXPECT_EQ(post.created_ms, 1795166100000);
}

TEST(PostParser, CreatedAtWithOffsetAndFraction) {
  PostParser parser;
  Post post;
  ParseFailure failure;
  const auto doc = to_json(with(base_fields(), "created_at", json_str("2026-11-20T10:15:00.250+01:00")));
  ASSERT_EQ(parser.parse_copy(doc, post, failure), ParseOutcome::kPost) << failure.detail;
  EXPECT_EQ(post.created_at, "2026-11-20T10:15:00.250+01:00");  // as received
  EXPECT_EQ(post.created_ms, 1795166100250);
}

TEST(PostParser, EscapedTextIsUnescaped) {
  PostParser parser;
  Post post;
  ParseFailure failure;
  const auto doc = to_json(with(base_fields(), "text",
                                R"("line1\nline2\ttab caf\u00e9 \ud83d\ude00 \"q\" back\\slash \/ \u20ac")"));
  ASSERT_EQ(parser.parse_copy(doc, post, failure), ParseOutcome::kPost) << failure.detail;
  EXPECT_EQ(post.text, "line1\nline2\ttab caf\xC3\xA9 \xF0\x9F\x98\x80 \"q\" back\\slash / \xE2\x82\xAC");
}

TEST(PostParser, RawUtf8TextPassesThrough) {
  PostParser parser;
  Post post;
  ParseFailure failure;
  const std::string text = "d\xC3\xA9j\xC3\xA0 vu \xF0\x9F\x94\xA5 \xE4\xB8\xAD";
  ASSERT_EQ(parser.parse_copy(to_json(with(base_fields(), "text", json_str(text))), post, failure), ParseOutcome::kPost)
      << failure.detail;
  EXPECT_EQ(post.text, text);
}

TEST(PostParser, EscapedKeysAreRecognised) {
  PostParser parser;
  Post post;
  ParseFailure failure;
  // "t\u0065xt" is the key "text".
  auto fields = without(base_fields(), "text");
  fields.emplace_back("t\\u0065xt", json_str("via escaped key"));
  ASSERT_EQ(parser.parse_copy(to_json(fields), post, failure), ParseOutcome::kPost) << failure.detail;
  EXPECT_EQ(post.text, "via escaped key");
}

TEST(PostParser, FieldsInAnyOrder) {
  auto fields = base_fields();
  std::vector<Fields> orders;
  orders.emplace_back(fields.rbegin(), fields.rend());
  std::rotate(fields.begin(), fields.begin() + 3, fields.end());
  orders.push_back(fields);
  for (const auto& order : orders) {
    PostParser parser;
    Post post;
    ParseFailure failure;
    const auto doc = to_json(order);
    ASSERT_EQ(parser.parse_copy(doc, post, failure), ParseOutcome::kPost) << doc << " " << failure.detail;
    EXPECT_EQ(post.id, "1234567890");
    EXPECT_EQ(post.platform, "x");
    EXPECT_EQ(post.url, "https://x.example/p/1234567890");
    EXPECT_EQ(post.lang, "nl");
    EXPECT_EQ(post.text, kSecretText);
    EXPECT_EQ(post.author_id, kSecretAuthor);
    EXPECT_EQ(post.created_ms, 1795166100000);
  }
}

TEST(PostParser, UnknownFieldsAreIgnored) {
  Fields fields{{"first_unknown", R"({"a":[1,2,{"b":null}],"c":"d"})"}};
  for (const auto& f : base_fields()) {
    fields.push_back(f);
    if (f.first == "url") fields.emplace_back("metrics", R"([1,2.5,-3e10,true,false,null,"s"])");
  }
  fields.emplace_back("last_unknown", "null");
  fields.emplace_back("another", R"("id")");
  PostParser parser;
  Post post;
  ParseFailure failure;
  ASSERT_EQ(parser.parse_copy(to_json(fields), post, failure), ParseOutcome::kPost) << failure.detail;
  EXPECT_EQ(post.id, "1234567890");
  EXPECT_EQ(post.text, kSecretText);
  EXPECT_EQ(post.url, "https://x.example/p/1234567890");
}

TEST(PostParser, WhitespaceAroundTokens) {
  const std::string doc =
      " {\n \"id\" : \"1\" ,\t\"platform\":\"x\", \"url\":\"u\",\r\n\"created_at\" : \"2026-11-20T09:15:00Z\","
      " \"visibility\":\"public\", \"text\" : \"t\" , \"author\" : { \"id\" : 42 } } \n";
  PostParser parser;
  Post post;
  ParseFailure failure;
  ASSERT_EQ(parser.parse_copy(doc, post, failure), ParseOutcome::kPost) << failure.detail;
  EXPECT_EQ(post.id, "1");
  EXPECT_EQ(post.text, "t");
  EXPECT_EQ(post.author_id, "42");
}

TEST(PostParser, LangNullOrAbsentIsEmpty) {
  for (const auto& doc : {to_json(with(base_fields(), "lang", "null")), to_json(without(base_fields(), "lang"))}) {
    PostParser parser;
    Post post;
    ParseFailure failure;
    ASSERT_EQ(parser.parse_copy(doc, post, failure), ParseOutcome::kPost) << doc << " " << failure.detail;
    EXPECT_TRUE(post.lang.empty());
    EXPECT_EQ(post.text, kSecretText);
  }
}

TEST(PostParser, NumericAuthorIdKeepsItsSpelling) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {R"({"id":12345,"handle":"h"})", "12345"},
      {R"({"handle":"h","id":987})", "987"},
      {R"({"handle":"h","id": 987 })", "987"},
      {"{\"id\":\t555\n,\"handle\":\"h\"}", "555"},
      {R"({"id":12345678901234567890123})", "12345678901234567890123"},
      {R"({"id":-7})", "-7"},
  };
  for (const auto& [author, expected] : cases) {
    PostParser parser;
    Post post;
    ParseFailure failure;
    const auto doc = to_json(with(base_fields(), "author", author));
    ASSERT_EQ(parser.parse_copy(doc, post, failure), ParseOutcome::kPost) << doc << " " << failure.detail;
    EXPECT_EQ(post.author_id, expected) << author;
  }
}

TEST(PostParser, AuthorNullAbsentOrWithoutIdGivesEmptyAuthor) {
  for (const auto& doc : {to_json(with(base_fields(), "author", "null")), to_json(without(base_fields(), "author")),
                          to_json(with(base_fields(), "author", R"({"handle":"@someone"})")),
                          to_json(with(base_fields(), "author", "{}"))}) {
    PostParser parser;
    Post post;
    ParseFailure failure;
    ASSERT_EQ(parser.parse_copy(doc, post, failure), ParseOutcome::kPost) << doc << " " << failure.detail;
    EXPECT_TRUE(post.author_id.empty()) << doc;
  }
}

TEST(PostParser, AuthorHandleIsNeverStored) {
  // Handle before and after the id, and a handle-only author.
  const std::vector<std::string> authors{
      R"({"handle":"@)" + std::string(kSecretHandle) + R"(","id":"a1","display":"x"})",
      R"({"id":"a1","handle":"@)" + std::string(kSecretHandle) + "\"}",
      R"({"handle":"@)" + std::string(kSecretHandle) + "\"}",
  };
  for (const auto& author : authors) {
    PostParser parser;
    Post post;
    ParseFailure failure;
    ASSERT_EQ(parser.parse_copy(to_json(with(base_fields(), "author", author)), post, failure), ParseOutcome::kPost)
        << failure.detail;
    for (const auto view : all_views(post)) {
      EXPECT_EQ(view.find(kSecretHandle), std::string_view::npos) << view;
    }
  }
}

TEST(PostParser, NonPublicPostsParseEvenWhenIncomplete) {
  const std::vector<std::string> docs{
      to_json(with(without(base_fields(), "text"), "visibility", json_str("followers"))),
      to_json(without(without(base_fields(), "text"), "visibility")),
      R"({"visibility":"followers"})",
      R"({"id":"9","visibility":"private","created_at":"yesterday"})",
      "{}",
  };
  for (const auto& doc : docs) {
    PostParser parser;
    Post post;
    ParseFailure failure;
    EXPECT_EQ(parser.parse_copy(doc, post, failure), ParseOutcome::kPost) << doc << " " << failure.detail;
    EXPECT_FALSE(post.is_public()) << doc;
  }
}

TEST(PostParser, NonPublicPostKeepsItsFields) {
  PostParser parser;
  Post post;
  ParseFailure failure;
  ASSERT_EQ(parser.parse_copy(to_json(with(base_fields(), "visibility", json_str("followers"))), post, failure),
            ParseOutcome::kPost);
  EXPECT_FALSE(post.is_public());
  EXPECT_EQ(post.visibility, "followers");
  EXPECT_EQ(post.id, "1234567890");
}

TEST(PostParser, VisibilityIsCaseSensitive) {
  PostParser parser;
  Post post;
  ParseFailure failure;
  ASSERT_EQ(parser.parse_copy(to_json(with(without(base_fields(), "text"), "visibility", json_str("Public"))), post,
                              failure),
            ParseOutcome::kPost);
  EXPECT_FALSE(post.is_public());
}

// --- rejections --------------------------------------------------------------

TEST(PostParser, RejectsNonJsonAndNonObjects) {
  EXPECT_EQ(name(rejection("hello")), "not_json");
  EXPECT_EQ(name(rejection("[1,2]")), "not_json");
  EXPECT_EQ(name(rejection("\"a string\"")), "not_json");
  EXPECT_EQ(name(rejection("42")), "not_json");
  EXPECT_EQ(name(rejection("null")), "not_json");
  EXPECT_EQ(name(rejection("{id:1}")), "not_json");
}

TEST(PostParser, RejectsTruncated) {
  EXPECT_EQ(name(rejection(R"({"id":"1","text":"abc)")), "truncated");
  EXPECT_EQ(name(rejection(R"({"id":"1","text":"abc")")), "truncated");
  EXPECT_EQ(name(rejection(R"({"id":"1","text":"abc",)")), "truncated");
  EXPECT_EQ(name(rejection(R"({"id":"1","extra":[1,2])")), "truncated");
  EXPECT_EQ(name(rejection(R"({"id":"1","text":"a}b)")), "truncated");
  EXPECT_EQ(name(rejection(R"({"id":"1","text":"abc","extra":[1,{"a":)")), "truncated");
}

TEST(PostParser, RejectsTruncatedRightAfterANestedObject) {
  // A line cut just after the closing brace of a nested object (here the
  // author object, which producers often put last) is still a cut-short line.
  EXPECT_EQ(name(rejection(R"({"id":"1","author":{"id":"a"})")), "truncated");
  const std::string full = base_json();  // ends with the author object
  EXPECT_EQ(name(rejection(full.substr(0, full.size() - 1))), "truncated");
  EXPECT_EQ(name(rejection(R"({"id":"1","extra":{},"text":"t","meta":{"a":1})")), "truncated");
}

TEST(PostParser, RejectsInvalidUtf8) {
  EXPECT_EQ(name(rejection(to_json(with(base_fields(), "text", "\"bad \xff byte\"")))), "invalid_utf8");
  EXPECT_EQ(name(rejection(to_json(with(base_fields(), "text", "\"overlong \xC0\xAF\"")))), "invalid_utf8");
  EXPECT_EQ(name(rejection(to_json(with(base_fields(), "text", "\"cut \xE2\x82\"")))), "invalid_utf8");
  // Also in a field the parser never reads.
  EXPECT_EQ(name(rejection(to_json(with(base_fields(), "ignored", "\"\xfe\"")))), "invalid_utf8");
}

TEST(PostParser, RejectsTooLarge) {
  ParseLimits limits;
  limits.max_document_bytes = 200;
  const std::string big = to_json(with(base_fields(), "text", json_str(std::string(300, 'a'))));
  ASSERT_GT(big.size(), 200U);
  EXPECT_EQ(name(rejection(big, limits)), "too_large");

  // Also through parse() with a padded buffer.
  PostParser parser(limits);
  Post post;
  ParseFailure failure;
  std::string buffer = big + std::string(simdjson::SIMDJSON_PADDING, '\0');
  EXPECT_EQ(parser.parse(std::string_view(buffer.data(), big.size()), buffer.size(), post, failure),
            ParseOutcome::kRejected);
  EXPECT_EQ(failure.reason, RejectReason::kTooLarge);
  EXPECT_NE(failure.detail.find(std::to_string(big.size())), std::string::npos) << failure.detail;
}

TEST(PostParser, DocumentExactlyAtTheLimitIsAccepted) {
  std::string doc = base_json();
  ParseLimits limits;
  limits.max_document_bytes = doc.size();
  PostParser parser(limits);
  Post post;
  ParseFailure failure;
  EXPECT_EQ(parser.parse_copy(doc, post, failure), ParseOutcome::kPost) << failure.detail;
  doc.insert(doc.size() - 1, " ");
  EXPECT_EQ(parser.parse_copy(doc, post, failure), ParseOutcome::kRejected);
  EXPECT_EQ(failure.reason, RejectReason::kTooLarge);
}

TEST(PostParser, RejectsTooDeepNestingInUnknownField) {
  constexpr std::size_t kLevels = 100;  // default max_depth is 32
  const std::string arrays = std::string(kLevels, '[') + std::string(kLevels, ']');
  EXPECT_EQ(name(rejection(to_json(with(base_fields(), "extra", arrays)))), "too_deep");

  std::string objects;
  for (std::size_t i = 0; i < kLevels; ++i) objects += "{\"a\":";
  objects += "1";
  objects += std::string(kLevels, '}');
  EXPECT_EQ(name(rejection(to_json(with(base_fields(), "extra", objects)))), "too_deep");
}

TEST(PostParser, RejectsTooDeepNestingWithCustomLimit) {
  ParseLimits limits;
  limits.max_depth = 4;
  EXPECT_EQ(name(rejection(to_json(with(base_fields(), "extra", "[[[[[[1]]]]]]")), limits)), "too_deep");
  // Nesting inside the author object, which the parser walks but mostly skips.
  EXPECT_EQ(name(rejection(to_json(with(base_fields(), "author", R"({"x":[[[[[[1]]]]]],"id":"a"})")), limits)),
            "too_deep");
}

TEST(PostParser, ModerateNestingWithinTheLimitIsAccepted) {
  constexpr std::size_t kLevels = 20;
  const std::string arrays = std::string(kLevels, '[') + std::string(kLevels, ']');
  PostParser parser;
  Post post;
  ParseFailure failure;
  EXPECT_EQ(parser.parse_copy(to_json(with(base_fields(), "extra", arrays)), post, failure), ParseOutcome::kPost)
      << failure.detail;
}

TEST(PostParser, RejectsEachMissingRequiredField) {
  for (const char* field : {"id", "platform", "url", "created_at", "text"}) {
    PostParser parser;
    Post post;
    ParseFailure failure;
    ASSERT_EQ(parser.parse_copy(to_json(without(base_fields(), field)), post, failure), ParseOutcome::kRejected)
        << field;
    EXPECT_EQ(failure.reason, RejectReason::kMissingField) << field;
    EXPECT_NE(failure.detail.find(std::string("'") + field + "'"), std::string::npos) << failure.detail;
  }
}

TEST(PostParser, OptionalFieldsMayBeMissing) {
  PostParser parser;
  Post post;
  ParseFailure failure;
  EXPECT_EQ(parser.parse_copy(to_json(without(without(base_fields(), "lang"), "author")), post, failure),
            ParseOutcome::kPost)
      << failure.detail;
}

TEST(PostParser, RejectsWrongTypes) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"text", "5"},          {"text", "null"},        {"text", R"(["a"])"}, {"text", R"({"a":"b"})"},
      {"id", "123"},          {"id", "null"},          {"platform", "true"}, {"url", "null"},
      {"created_at", "1795166100000"}, {"visibility", "1"}, {"lang", "5"},  {"lang", R"(["nl"])"},
      {"author", R"("someone")"},      {"author", "[1]"},   {"author", R"({"id":true})"},
      {"author", R"({"id":null})"},    {"author", R"({"id":{"x":1}})"},
  };
  for (const auto& [field, raw] : cases) {
    PostParser parser;
    Post post;
    ParseFailure failure;
    ASSERT_EQ(parser.parse_copy(to_json(with(base_fields(), field, raw)), post, failure), ParseOutcome::kRejected)
        << field << "=" << raw;
    EXPECT_EQ(failure.reason, RejectReason::kWrongType) << field << "=" << raw << " " << failure.detail;
  }
}

TEST(PostParser, RejectsInvalidValues) {
  EXPECT_EQ(name(rejection(to_json(with(base_fields(), "created_at", json_str("yesterday"))))), "invalid_value");
  EXPECT_EQ(name(rejection(to_json(with(base_fields(), "created_at", json_str("2023-02-29T00:00:00Z"))))),
            "invalid_value");
  EXPECT_EQ(name(rejection(to_json(with(base_fields(), "created_at", json_str(""))))), "invalid_value");
  EXPECT_EQ(name(rejection(to_json(with(base_fields(), "id", json_str(""))))), "invalid_value");
}

TEST(PostParser, RejectsEmptyPlatform) {
  // posts.schema.json: "platform": {"type": "string", "minLength": 1}; an empty
  // platform would also yield alerts that break alerts.schema.json (minLength 1).
  EXPECT_EQ(name(rejection(to_json(with(base_fields(), "platform", json_str(""))))), "invalid_value");
}

TEST(PostParser, RejectsDuplicateKeys) {
  auto fields = base_fields();
  fields.emplace_back("text", json_str("second text"));
  EXPECT_EQ(name(rejection(to_json(fields))), "duplicate_key");

  fields = base_fields();
  fields.emplace_back("id", json_str("other"));
  EXPECT_EQ(name(rejection(to_json(fields))), "duplicate_key");

  // Escaped spelling of the same key.
  fields = base_fields();
  fields.emplace_back("t\\u0065xt", json_str("second text"));
  EXPECT_EQ(name(rejection(to_json(fields))), "duplicate_key");

  // Twice in a non-public post too: the loop refuses before visibility matters.
  fields = with(base_fields(), "visibility", json_str("followers"));
  fields.emplace_back("lang", "null");
  EXPECT_EQ(name(rejection(to_json(fields))), "duplicate_key");

  EXPECT_EQ(name(rejection(to_json(with(base_fields(), "author", R"({"id":"a","id":"b"})")))), "duplicate_key");
}

TEST(PostParser, DuplicateUnknownKeysAreAllowed) {
  auto fields = base_fields();
  fields.emplace_back("meta", "1");
  fields.emplace_back("meta", "2");
  PostParser parser;
  Post post;
  ParseFailure failure;
  EXPECT_EQ(parser.parse_copy(to_json(fields), post, failure), ParseOutcome::kPost) << failure.detail;
}

TEST(PostParser, RejectsTrailingContent) {
  const std::string doc = base_json();
  for (const std::string& bad : {doc + " " + doc, doc + doc, doc + " x", doc + "x", doc + " 1", doc + "}",
                                 doc + " []", doc + R"( "s")"}) {
    PostParser parser;
    Post post;
    ParseFailure failure;
    ASSERT_EQ(parser.parse_copy(bad, post, failure), ParseOutcome::kRejected) << bad;
    EXPECT_EQ(failure.reason, RejectReason::kNotJson) << bad << " -> " << name(failure.reason);
  }
}

TEST(PostParser, TrailingWhitespaceIsFine) {
  PostParser parser;
  Post post;
  ParseFailure failure;
  EXPECT_EQ(parser.parse_copy(base_json() + " \t\r\n ", post, failure), ParseOutcome::kPost) << failure.detail;
}

TEST(PostParser, FailureDetailsNeverContainContent) {
  const std::string author = R"({"id":")" + std::string(kSecretAuthor) + R"(","handle":"@)" +
                             std::string(kSecretHandle) + "\"}";
  auto dup = base_fields();
  dup.emplace_back("text", json_str(kSecretText));
  auto dup_author = with(base_fields(), "author",
                         R"({"id":")" + std::string(kSecretAuthor) + R"(","id":")" + std::string(kSecretAuthor) + "\"}");
  const std::vector<std::string> docs{
      to_json(dup),
      to_json(dup_author),
      to_json(with(base_fields(), "created_at", json_str(std::string(kSecretText)))),
      to_json(with(base_fields(), "id", "12345")),
      to_json(without(base_fields(), "url")),
      base_json() + " " + std::string(kSecretText),
      base_json().substr(0, base_json().size() - 2),
      to_json(with(base_fields(), "text", json_str(std::string(kSecretText) + "\xff"))),
      "[" + json_str(kSecretText) + "," + json_str(kSecretAuthor) + "]",
      to_json(with(base_fields(), "extra", std::string(100, '[') + std::string(100, ']'))),
  };
  ParseLimits limits;
  for (const auto& doc : docs) {
    PostParser parser(limits);
    Post post;
    ParseFailure failure;
    if (parser.parse_copy(doc, post, failure) != ParseOutcome::kRejected) continue;  // checked elsewhere
    EXPECT_EQ(failure.detail.find("SECRET-TEXT"), std::string::npos) << failure.detail;
    EXPECT_EQ(failure.detail.find("woont"), std::string::npos) << failure.detail;
    EXPECT_EQ(failure.detail.find(kSecretAuthor), std::string::npos) << failure.detail;
    EXPECT_EQ(failure.detail.find(kSecretHandle), std::string::npos) << failure.detail;
  }
  // Too large: the detail names sizes only.
  limits.max_document_bytes = 50;
  PostParser parser(limits);
  Post post;
  ParseFailure failure;
  ASSERT_EQ(parser.parse_copy(base_json(), post, failure), ParseOutcome::kRejected);
  EXPECT_EQ(failure.detail.find("SECRET"), std::string::npos) << failure.detail;
  EXPECT_EQ(failure.detail.find(kSecretAuthor), std::string::npos) << failure.detail;
}

// --- buffers and sizes -------------------------------------------------------

TEST(PostParser, ParseCopyNeedsNoPadding) {
  // The document is exactly the size of its own allocation.
  const std::string source = base_json();
  std::vector<char> exact(source.begin(), source.end());
  PostParser parser;
  Post post;
  ParseFailure failure;
  ASSERT_EQ(parser.parse_copy(std::string_view(exact.data(), exact.size()), post, failure), ParseOutcome::kPost)
      << failure.detail;
  EXPECT_EQ(post.text, kSecretText);
  EXPECT_EQ(post.author_id, kSecretAuthor);
}

TEST(PostParser, ParseWithTooSmallCapacityFallsBackToACopy) {
  const std::string source = base_json();
  std::vector<char> exact(source.begin(), source.end());
  PostParser parser;
  Post post;
  ParseFailure failure;
  // Only `exact.size()` bytes are readable: the parser must not trust a
  // capacity below size + SIMDJSON_PADDING and must copy instead.
  for (const std::size_t capacity : {std::size_t{0}, exact.size(), exact.size() + simdjson::SIMDJSON_PADDING - 1}) {
    std::vector<char> buffer(exact);
    buffer.resize(std::max(capacity, exact.size()), '"');  // junk after the document
    ASSERT_EQ(parser.parse(std::string_view(buffer.data(), exact.size()), capacity, post, failure),
              ParseOutcome::kPost)
        << capacity << " " << failure.detail;
    EXPECT_EQ(post.id, "1234567890");
    EXPECT_EQ(post.text, kSecretText);
    EXPECT_EQ(post.created_ms, 1795166100000);
  }
  // A truncated document at the very end of an allocation is still refused cleanly.
  std::vector<char> cut(source.begin(), source.begin() + 20);
  EXPECT_EQ(parser.parse(std::string_view(cut.data(), cut.size()), cut.size(), post, failure),
            ParseOutcome::kRejected);
  EXPECT_EQ(failure.reason, RejectReason::kTruncated);
}

TEST(PostParser, HugeTextWithinTheLimitParses) {
  std::string text;
  while (text.size() < 500 * 1024) text += "bedreiging test caf\xC3\xA9 \xF0\x9F\x98\x80 ";
  PostParser parser;
  Post post;
  ParseFailure failure;
  const auto doc = to_json(with(base_fields(), "text", json_str(text)));
  ASSERT_LT(doc.size(), parser.limits().max_document_bytes);
  ASSERT_EQ(parser.parse_copy(doc, post, failure), ParseOutcome::kPost) << failure.detail;
  EXPECT_EQ(post.text.size(), text.size());
  EXPECT_TRUE(post.text == text);
}

TEST(PostParser, EscapedNulInTextIsAccepted) {
  PostParser parser;
  Post post;
  ParseFailure failure;
  ASSERT_EQ(parser.parse_copy(to_json(with(base_fields(), "text", R"("a\u0000b")")), post, failure),
            ParseOutcome::kPost)
      << failure.detail;
  EXPECT_EQ(post.text, std::string_view("a\0b", 3));
}

TEST(PostParser, RawControlCharacterIsRefused) {
  // JSON forbids unescaped control characters in strings; a raw NUL must not
  // slip through as a valid post.
  PostParser parser;
  Post post;
  ParseFailure failure;
  const std::string doc = to_json(with(base_fields(), "text", std::string("\"a\0b\"", 5)));
  EXPECT_EQ(parser.parse_copy(doc, post, failure), ParseOutcome::kRejected);
}

TEST(PostParser, ParserIsReusableAndResetsThePost) {
  PostParser parser;
  Post post;
  ParseFailure failure;
  ASSERT_EQ(parser.parse_copy(base_json(), post, failure), ParseOutcome::kPost);
  EXPECT_EQ(post.lang, "nl");
  ASSERT_EQ(parser.parse_copy("{\"id\":", post, failure), ParseOutcome::kRejected);
  EXPECT_EQ(failure.reason, RejectReason::kTruncated);
  const auto second = to_json(with(without(without(base_fields(), "lang"), "author"), "id", json_str("second")));
  ASSERT_EQ(parser.parse_copy(second, post, failure), ParseOutcome::kPost) << failure.detail;
  EXPECT_EQ(post.id, "second");
  EXPECT_TRUE(post.lang.empty()) << "fields from the previous post must not leak";
  EXPECT_TRUE(post.author_id.empty()) << "fields from the previous post must not leak";
  for (int i = 0; i < 1000; ++i) {
    const auto doc = to_json(with(base_fields(), "id", json_str("p" + std::to_string(i))));
    ASSERT_EQ(parser.parse_copy(doc, post, failure), ParseOutcome::kPost);
    ASSERT_EQ(post.id, "p" + std::to_string(i));
  }
}

TEST(PostParser, RejectReasonNamesAreStable) {
  EXPECT_EQ(reject_reason_name(RejectReason::kNotJson), "not_json");
  EXPECT_EQ(reject_reason_name(RejectReason::kTruncated), "truncated");
  EXPECT_EQ(reject_reason_name(RejectReason::kInvalidUtf8), "invalid_utf8");
  EXPECT_EQ(reject_reason_name(RejectReason::kTooLarge), "too_large");
  EXPECT_EQ(reject_reason_name(RejectReason::kTooDeep), "too_deep");
  EXPECT_EQ(reject_reason_name(RejectReason::kMissingField), "missing_field");
  EXPECT_EQ(reject_reason_name(RejectReason::kWrongType), "wrong_type");
  EXPECT_EQ(reject_reason_name(RejectReason::kInvalidValue), "invalid_value");
  EXPECT_EQ(reject_reason_name(RejectReason::kDuplicateKey), "duplicate_key");
}
