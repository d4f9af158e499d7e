#pragma once
// The posts the micro benchmarks measure. Texts are sized so that a whole
// line is ~370 bytes, around the ~350 of a typical public post in the input
// topic, and avoid quotes and backslashes so they can be written into JSON as
// they are.

#include <string>
#include <string_view>

namespace wachtpost::bench {

// Everyday Dutch; names a role ("minister") so the scan finds a target and
// the rule evaluator has work to do, but no threat: must raise no alert.
inline constexpr std::string_view kHarmlessText =
    "Goedemorgen! Mist op de A12 en de trein rijdt weer niet. Het Kamerdebat over de begroting "
    "begint om 10:00, benieuwd wat de minister zegt.";

// A threat against a protected person of patterns/protected.example.yaml:
// must raise at least one alert.
inline constexpr std::string_view kThreatText =
    "Rechter Jansen, ik weet waar je woont en ik ga je afmaken. Dit is je laatste waarschuwing, "
    "niemand gaat je nog helpen na vanavond.";

// Harmless, but written the way evasive posts are: diacritics, emoji,
// fullwidth letters, Cyrillic look-alikes (the о, е, а of "Rоttеrdаm"), a
// zero-width space, leetspeak, letter spacing and stretched letters. Every
// normalisation step has something to do, and the stretched letters make the
// processor scan further readings.
inline constexpr std::string_view kObfuscatedText =
    "W\xC3\xA1t een mooie d\xC3\xA1g \xF0\x9F\x98\x80 in R\xD0\xBEtt\xD0\xB5rd\xD0\xB0m! "
    "H3t c4f\xC3\xA9 w4s g3z3ll1g, d e k o f f i e w a s t o p, s\xC3\xB3\xC3\xB3\xC3\xB3 lekkerrrr. "
    "\xEF\xBC\xB4\xEF\xBD\x8F\xEF\xBD\x94 zaterdag bij de co\xC3\xB6peratie\xE2\x80\x8B \xF0\x9F\x91\x8B";

// One post as a JSON line in the shape of topics/posts.schema.json.
inline std::string post_line(std::string_view id, std::string_view visibility, std::string_view text) {
  std::string line;
  line += R"({"id": ")";
  line += id;
  line += R"(", "platform": "mastodon", "url": "https://mastodon.example/statuses/)";
  line += id;
  line += R"(", "created_at": "2026-11-20T07:44:16Z", "lang": "nl", "visibility": ")";
  line += visibility;
  line += R"(", "text": ")";
  line += text;
  line += R"(", "author": {"id": "u-1962", "handle": "bikebell"}})";
  return line;
}

}  // namespace wachtpost::bench
