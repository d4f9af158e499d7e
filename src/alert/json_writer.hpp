#pragma once
// A minimal streaming JSON writer: appends to a caller-owned string, so a warm
// buffer serialises an alert without allocating.

#include <cstdint>
#include <string>
#include <string_view>

namespace wachtpost {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);
  JsonWriter& string(std::string_view value);  // value must be valid UTF-8
  JsonWriter& number(std::int64_t value);
  JsonWriter& boolean(bool value);
  JsonWriter& null();
  JsonWriter& decimal(double value, int digits);  // fixed notation; not finite: null

  // Shorthands for "key": value.
  JsonWriter& field(std::string_view name, std::string_view value) { return key(name).string(value); }
  JsonWriter& field(std::string_view name, const char* value) { return key(name).string(value); }
  JsonWriter& field(std::string_view name, std::int64_t value) { return key(name).number(value); }

 private:
  void separate();

  std::string& out_;
  bool need_comma_ = false;
};

// Appends `value` as a JSON string literal (with quotes).
void append_json_string(std::string& out, std::string_view value);

}  // namespace wachtpost
