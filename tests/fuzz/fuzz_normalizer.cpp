// Normalizer::normalize on arbitrary bytes, checked against what
// normalize/normalizer.hpp promises: lowercase text with whitespace collapsed,
// and for every normalised byte an in-bounds range of original bytes, in
// order, so a match can be highlighted in the post. Offsets that leave the
// original or split a code point would put invalid UTF-8 into an alert.

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "normalize/normalizer.hpp"

using namespace wachtpost;

namespace {

constexpr std::uint8_t kAllSteps =
    kDecodeUnicode | kDecodeInvisible | kDecodeLeet | kDecodeSpacing | kDecodeRepeat | kDecodeHomoglyph;

bool at_code_point_boundary(std::string_view original, std::uint32_t offset) {
  return offset == original.size() || (static_cast<unsigned char>(original[offset]) & 0xC0U) != 0x80U;
}

// `primary`: the output of normalize() itself rather than a further reading,
// which keeps its squeezed flag clear.
void check_text(std::string_view original, bool valid_input, const NormalizedText& t, bool primary) {
  const std::size_t size = t.text.size();
  WACHTPOST_FUZZ_CHECK(t.source_begin.size() == size && t.source_end.size() == size && t.steps.size() == size);
  // The text is scanned by Hyperscan in UTF-8 mode, where invalid UTF-8 is
  // undefined behaviour; rule examples and registry names reach the
  // normaliser without the parser's check, so this holds for any input.
  WACHTPOST_FUZZ_CHECK(simdjson::validate_utf8(t.text.data(), size));
  bool any_repeat = false;
  for (std::size_t i = 0; i < size; ++i) {
    const char c = t.text[i];
    const auto byte = static_cast<unsigned char>(c);
    WACHTPOST_FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
    // Whitespace became single spaces and control characters were removed.
    WACHTPOST_FUZZ_CHECK(byte >= 0x20 && byte != 0x7F);
    if (c == ' ') WACHTPOST_FUZZ_CHECK(i > 0 && i + 1 < size && t.text[i - 1] != ' ');
    const std::uint32_t begin = t.source_begin[i];
    const std::uint32_t end = t.source_end[i];
    WACHTPOST_FUZZ_CHECK(begin < end);
    WACHTPOST_FUZZ_CHECK(end <= original.size());
    if (i > 0) {
      WACHTPOST_FUZZ_CHECK(t.source_begin[i - 1] <= begin);
      WACHTPOST_FUZZ_CHECK(t.source_end[i - 1] <= end);
    }
    if (valid_input) {
      WACHTPOST_FUZZ_CHECK(at_code_point_boundary(original, begin));
      WACHTPOST_FUZZ_CHECK(at_code_point_boundary(original, end));
    }
    WACHTPOST_FUZZ_CHECK((t.steps[i] & ~kAllSteps) == 0);
    any_repeat = any_repeat || (t.steps[i] & kDecodeRepeat) != 0;

    const auto one = t.to_source(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(i + 1));
    WACHTPOST_FUZZ_CHECK(one.begin == begin && one.end == end && one.steps == t.steps[i]);
  }
  if (primary) WACHTPOST_FUZZ_CHECK(t.squeezed == any_repeat);

  const auto n = static_cast<std::uint32_t>(size);
  if (n > 0) {
    const auto whole = t.to_source(0, n);
    WACHTPOST_FUZZ_CHECK(whole.begin == t.source_begin[0] && whole.end == t.source_end[n - 1]);
    const auto mid = t.to_source(n / 3, n - n / 3);
    WACHTPOST_FUZZ_CHECK(mid.begin <= mid.end && mid.end <= original.size());
  }
  // Requests outside the text get an empty span inside the original.
  for (const auto& [from, to] : {std::pair{n, n + 3}, std::pair{n + 7, n + 1}, std::pair{n / 2, n / 2}}) {
    const auto span = t.to_source(from, to);
    WACHTPOST_FUZZ_CHECK(span.begin == span.end && span.end <= original.size());
  }
}

bool same(const NormalizedText& a, const NormalizedText& b) {
  return a.text == b.text && a.source_begin == b.source_begin && a.source_end == b.source_end && a.steps == b.steps &&
         a.squeezed == b.squeezed;
}

void check_normalizer(std::string_view original, bool valid_input, NormalizerOptions options, NormalizedText& warm) {
  Normalizer normalizer(options);
  NormalizedText fresh;
  normalizer.normalize(original, fresh);
  check_text(original, valid_input, fresh, true);

  // A reused NormalizedText still holds the previous input's output; clear()
  // must leave nothing of it behind.
  normalizer.normalize(original, warm);
  WACHTPOST_FUZZ_CHECK(same(fresh, warm));
  WACHTPOST_FUZZ_CHECK(normalizer.normalize_term(original) == fresh.text);

  NormalizedText scratch;
  Normalizer::for_each_further_reading(fresh, scratch, [&](const NormalizedText& reading) {
    check_text(original, valid_input, reading, false);
    WACHTPOST_FUZZ_CHECK(reading.text.size() < fresh.text.size());
  });
  const bool collapsed = Normalizer::collapse_stretched(fresh, scratch);
  WACHTPOST_FUZZ_CHECK(collapsed == fresh.squeezed);
  if (!collapsed) WACHTPOST_FUZZ_CHECK(scratch.text.empty() && scratch.source_begin.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view original(reinterpret_cast<const char*>(data), size);
  const bool valid_input = simdjson::validate_utf8(original.data(), original.size());
  static NormalizedText warm_default;
  static NormalizedText warm_chosen;
  check_normalizer(original, valid_input, NormalizerOptions{}, warm_default);
  // The steps can be switched off one by one; the first byte picks a mix, so
  // the fuzzer reaches each step without the others in front of it.
  if (size > 0) {
    NormalizerOptions chosen;
    chosen.leet = (data[0] & 1U) != 0;
    chosen.spacing = (data[0] & 2U) != 0;
    chosen.squeeze_repeats = (data[0] & 4U) != 0;
    chosen.homoglyphs = (data[0] & 8U) != 0;
    check_normalizer(original, valid_input, chosen, warm_chosen);
  }
  return 0;
}
