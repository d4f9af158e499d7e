#include "alert/json_writer.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace wachtpost {

void append_json_string(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain_from = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    const bool needs_escape = c < 0x20 || c == '"' || c == '\\' ||
                              // U+2028 and U+2029 break JavaScript consumers (the desk's SSE feed).
                              (c == 0xE2 && i + 2 < value.size() && static_cast<unsigned char>(value[i + 1]) == 0x80 &&
                               (static_cast<unsigned char>(value[i + 2]) & 0xFE) == 0xA8);
    if (!needs_escape) continue;
    out.append(value.data() + plain_from, i - plain_from);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case 0xE2:
        out += (static_cast<unsigned char>(value[i + 2]) == 0xA8) ? "\\u2028" : "\\u2029";
        i += 2;
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
    plain_from = i + 1;
  }
  out.append(value.data() + plain_from, value.size() - plain_from);
  out += '"';
}

void JsonWriter::separate() {
  if (need_comma_) out_ += ',';
}

JsonWriter& JsonWriter::begin_object() {
  separate();
  out_ += '{';
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  out_ += '}';
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  separate();
  out_ += '[';
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  out_ += ']';
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  separate();
  append_json_string(out_, name);
  out_ += ':';
  need_comma_ = false;
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view value) {
  separate();
  append_json_string(out_, value);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::number(std::int64_t value) {
  separate();
  std::array<char, 24> buf{};
  const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  out_.append(buf.data(), result.ptr);
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::boolean(bool value) {
  separate();
  out_ += value ? "true" : "false";
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::null() {
  separate();
  out_ += "null";
  need_comma_ = true;
  return *this;
}

JsonWriter& JsonWriter::decimal(double value, int digits) {
  if (!std::isfinite(value)) return null();
  separate();
  char buffer[64];
  const int n = std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  out_.append(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
  need_comma_ = true;
  return *this;
}

}  // namespace wachtpost
