// JsonWriter and append_json_string: escaping, comma placement, and output
// that an independent parser (simdjson DOM) reads back to the same values.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "alert/json_writer.hpp"

using namespace wachtpost;

namespace {

std::string escaped(std::string_view value) {
  std::string out;
  append_json_string(out, value);
  return out;
}

// Parses `json` as one JSON string literal and returns its value.
std::string parse_string_literal(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  const auto err = parser.parse(json).get(element);
  EXPECT_EQ(err, simdjson::SUCCESS) << simdjson::error_message(err) << " in " << json;
  if (err != simdjson::SUCCESS) return {};
  std::string_view value;
  EXPECT_EQ(element.get_string().get(value), simdjson::SUCCESS) << json;
  return std::string(value);
}

}  // namespace

TEST(JsonString, PlainTextIsQuoted) {
  EXPECT_EQ(escaped(""), R"("")");
  EXPECT_EQ(escaped("hello world"), R"("hello world")");
}

TEST(JsonString, QuoteAndBackslash) {
  EXPECT_EQ(escaped(R"(a"b)"), R"("a\"b")");
  EXPECT_EQ(escaped(R"(a\b)"), R"("a\\b")");
  EXPECT_EQ(escaped(R"(\")"), R"("\\\"")");
  EXPECT_EQ(escaped("/"), R"("/")");
}

TEST(JsonString, ShortEscapes) {
  EXPECT_EQ(escaped("\n"), R"("\n")");
  EXPECT_EQ(escaped("\t"), R"("\t")");
  EXPECT_EQ(escaped("\r"), R"("\r")");
  EXPECT_EQ(escaped("\b"), R"("\b")");
  EXPECT_EQ(escaped("\f"), R"("\f")");
  EXPECT_EQ(escaped("a\nb\tc"), R"("a\nb\tc")");
}

TEST(JsonString, OtherControlCharactersUseUnicodeEscapes) {
  EXPECT_EQ(escaped("\x01"), R"("\u0001")");
  EXPECT_EQ(escaped("\x1f"), R"("\u001f")");
  EXPECT_EQ(escaped("\x0b"), R"("\u000b")");
  EXPECT_EQ(escaped("\x1b[31m"), R"("\u001b[31m")");
  EXPECT_EQ(escaped(std::string_view("a\0b", 3)), R"("a\u0000b")");
  // DEL is not a JSON control character.
  EXPECT_EQ(escaped("\x7f"), "\"\x7f\"");
}

TEST(JsonString, LineAndParagraphSeparatorsAreEscaped) {
  EXPECT_EQ(escaped("\xE2\x80\xA8"), R"("\u2028")");
  EXPECT_EQ(escaped("\xE2\x80\xA9"), R"("\u2029")");
  EXPECT_EQ(escaped("a\xE2\x80\xA8" "b\xE2\x80\xA9" "c"), R"("a\u2028b\u2029c")");
  // Neighbours in the same block pass through unchanged.
  EXPECT_EQ(escaped("\xE2\x80\xA6"), "\"\xE2\x80\xA6\"");  // U+2026 ellipsis
  EXPECT_EQ(escaped("\xE2\x80\xAA"), "\"\xE2\x80\xAA\"");  // U+202A
  EXPECT_EQ(escaped("\xE2\x80\x94"), "\"\xE2\x80\x94\"");  // U+2014 em dash
  EXPECT_EQ(escaped("\xE2\x82\xAC"), "\"\xE2\x82\xAC\"");  // U+20AC euro
}

TEST(JsonString, MultiByteUtf8PassesThrough) {
  const std::string text = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xE4\xB8\xAD\xE6\x96\x87 \xD0\x9F\xD1\x80";
  EXPECT_EQ(escaped(text), "\"" + text + "\"");
}

TEST(JsonString, AppendsWithoutClearing) {
  std::string out = "prefix:";
  append_json_string(out, "x");
  append_json_string(out, "y\"");
  EXPECT_EQ(out, R"(prefix:"x""y\"")");
}

TEST(JsonString, EveryAsciiByteRoundTrips) {
  for (int c = 0; c < 0x80; ++c) {
    const std::string value = "<" + std::string(1, static_cast<char>(c)) + ">";
    const std::string json = escaped(value);
    EXPECT_EQ(parse_string_literal(json), value) << "byte " << c << " -> " << json;
    for (const char ch : json) {
      EXPECT_GE(static_cast<unsigned char>(ch), 0x20) << "raw control byte in output for byte " << c;
    }
  }
}

TEST(JsonString, MixedTextRoundTrips) {
  const std::string value =
      "Line1\nLine2\r\n\t\"quoted\" back\\slash \x01\x02\x1f sep\xE2\x80\xA8par\xE2\x80\xA9 caf\xC3\xA9 "
      "\xF0\x9F\x98\x80 end";
  const std::string json = escaped(value);
  EXPECT_EQ(json.find("\xE2\x80\xA8"), std::string::npos);
  EXPECT_EQ(json.find("\xE2\x80\xA9"), std::string::npos);
  EXPECT_EQ(json.find('\n'), std::string::npos);
  EXPECT_EQ(parse_string_literal(json), value);
}

TEST(JsonString, SeparatorAtTheVeryEnd) {
  EXPECT_EQ(escaped("x\xE2\x80\xA8"), R"("x\u2028")");
  EXPECT_EQ(parse_string_literal(escaped("x\xE2\x80\xA9")), "x\xE2\x80\xA9");
}

TEST(JsonWriter, EmptyContainers) {
  std::string out;
  JsonWriter(out).begin_object().end_object();
  EXPECT_EQ(out, "{}");
  out.clear();
  JsonWriter(out).begin_array().end_array();
  EXPECT_EQ(out, "[]");
}

TEST(JsonWriter, FlatObject) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("a", "x").field("b", std::int64_t{1}).key("c").boolean(true).key("d").boolean(false).end_object();
  EXPECT_EQ(out, R"({"a":"x","b":1,"c":true,"d":false})");
}

TEST(JsonWriter, NestedCommaPlacement) {
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("a", std::int64_t{1});
  w.key("b").begin_array();
  w.number(1).string("x").boolean(true);
  w.begin_object().end_object();
  w.begin_array().end_array();
  w.begin_object().field("k", "v").key("inner").begin_array().number(2).number(3).end_array().end_object();
  w.end_array();
  w.key("c").begin_object().key("d").begin_array().end_array().field("e", "f").end_object();
  w.field("g", "h");
  w.end_object();
  EXPECT_EQ(out, R"({"a":1,"b":[1,"x",true,{},[],{"k":"v","inner":[2,3]}],"c":{"d":[],"e":"f"},"g":"h"})");
}

TEST(JsonWriter, ArrayOfObjects) {
  std::string out;
  JsonWriter w(out);
  w.begin_array();
  for (int i = 0; i < 3; ++i) w.begin_object().field("i", std::int64_t{i}).end_object();
  w.end_array();
  EXPECT_EQ(out, R"([{"i":0},{"i":1},{"i":2}])");
}

TEST(JsonWriter, Numbers) {
  std::string out;
  JsonWriter w(out);
  w.begin_array()
      .number(0)
      .number(-1)
      .number(std::numeric_limits<std::int64_t>::max())
      .number(std::numeric_limits<std::int64_t>::min())
      .end_array();
  EXPECT_EQ(out, "[0,-1,9223372036854775807,-9223372036854775808]");
}

TEST(JsonWriter, KeysAreEscaped) {
  std::string out;
  JsonWriter(out).begin_object().field("we\"ird\nkey", "v").end_object();
  EXPECT_EQ(out, R"({"we\"ird\nkey":"v"})");
}

TEST(JsonWriter, ConstCharFieldOverload) {
  std::string out;
  const char* value = "c-string";
  JsonWriter(out).begin_object().field("k", value).end_object();
  EXPECT_EQ(out, R"({"k":"c-string"})");
}

TEST(JsonWriter, AppendsToExistingContent) {
  std::string out = "data: ";
  JsonWriter(out).begin_object().field("a", "b").end_object();
  EXPECT_EQ(out, R"(data: {"a":"b"})");
}

TEST(JsonWriter, OutputParsesBackToTheSameValues) {
  const std::string tricky = "\"quotes\" \\ \n\t\x01 \xE2\x80\xA8 caf\xC3\xA9 \xF0\x9F\x98\x80";
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("s", tricky);
  w.field("n", std::int64_t{-42});
  w.key("arr").begin_array().string("a").number(7).boolean(false).begin_object().field("x", "y").end_object().end_array();
  w.key("obj").begin_object().field("nested", tricky).key("empty").begin_array().end_array().end_object();
  w.end_object();

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(out).get(doc), simdjson::SUCCESS) << out;
  std::string_view s;
  ASSERT_EQ(doc["s"].get_string().get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, tricky);
  std::int64_t n = 0;
  ASSERT_EQ(doc["n"].get_int64().get(n), simdjson::SUCCESS);
  EXPECT_EQ(n, -42);
  simdjson::dom::array arr;
  ASSERT_EQ(doc["arr"].get_array().get(arr), simdjson::SUCCESS);
  EXPECT_EQ(arr.size(), 4U);
  std::string_view a;
  ASSERT_EQ(arr.at(0).get_string().get(a), simdjson::SUCCESS);
  EXPECT_EQ(a, "a");
  std::int64_t seven = 0;
  ASSERT_EQ(arr.at(1).get_int64().get(seven), simdjson::SUCCESS);
  EXPECT_EQ(seven, 7);
  bool b = true;
  ASSERT_EQ(arr.at(2).get_bool().get(b), simdjson::SUCCESS);
  EXPECT_FALSE(b);
  std::string_view y;
  ASSERT_EQ(arr.at(3)["x"].get_string().get(y), simdjson::SUCCESS);
  EXPECT_EQ(y, "y");
  std::string_view nested;
  ASSERT_EQ(doc["obj"]["nested"].get_string().get(nested), simdjson::SUCCESS);
  EXPECT_EQ(nested, tricky);
  simdjson::dom::array empty;
  ASSERT_EQ(doc["obj"]["empty"].get_array().get(empty), simdjson::SUCCESS);
  EXPECT_EQ(empty.size(), 0U);
}
