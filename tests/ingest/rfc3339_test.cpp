// parse_rfc3339_ms / format_rfc3339_ms. Expected epoch values were computed
// independently with Python (calendar.timegm / datetime.fromisoformat).

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "ingest/rfc3339.hpp"

using namespace wachtpost;

namespace {

std::optional<std::int64_t> parse(const char* text) { return parse_rfc3339_ms(text); }

}  // namespace

TEST(Rfc3339, EpochIsZero) {
  EXPECT_EQ(parse("1970-01-01T00:00:00Z"), std::optional<std::int64_t>(0));
  EXPECT_EQ(parse("1970-01-01T00:00:00.000Z"), std::optional<std::int64_t>(0));
  EXPECT_EQ(parse("1970-01-01T00:00:00+00:00"), std::optional<std::int64_t>(0));
  EXPECT_EQ(parse("1970-01-01T00:00:00-00:00"), std::optional<std::int64_t>(0));
}

TEST(Rfc3339, KnownUtcValues) {
  // python3: calendar.timegm((2026,11,20,9,15,0))*1000 == 1795166100000
  EXPECT_EQ(parse("2026-11-20T09:15:00Z"), std::optional<std::int64_t>(1795166100000));
  EXPECT_EQ(parse("2024-02-29T12:00:00Z"), std::optional<std::int64_t>(1709208000000));
  EXPECT_EQ(parse("2000-02-29T00:00:00Z"), std::optional<std::int64_t>(951782400000));
  EXPECT_EQ(parse("2000-03-01T00:00:00Z"), std::optional<std::int64_t>(951868800000));
  EXPECT_EQ(parse("2023-02-28T23:59:59Z"), std::optional<std::int64_t>(1677628799000));
  EXPECT_EQ(parse("1900-01-01T00:00:00Z"), std::optional<std::int64_t>(-2208988800000));
  EXPECT_EQ(parse("0001-01-01T00:00:00Z"), std::optional<std::int64_t>(-62135596800000));
  EXPECT_EQ(parse("9999-12-31T23:59:59.999Z"), std::optional<std::int64_t>(253402300799999));
}

TEST(Rfc3339, BeforeEpochWithFraction) {
  EXPECT_EQ(parse("1969-12-31T23:59:59.999Z"), std::optional<std::int64_t>(-1));
  EXPECT_EQ(parse("1969-12-31T23:59:59Z"), std::optional<std::int64_t>(-1000));
}

TEST(Rfc3339, Offsets) {
  EXPECT_EQ(parse("2026-11-20T09:15:00+01:00"), std::optional<std::int64_t>(1795162500000));
  EXPECT_EQ(parse("2026-11-20T09:15:00-05:30"), std::optional<std::int64_t>(1795185900000));
  EXPECT_EQ(parse("2026-01-01T00:30:00+01:00"), std::optional<std::int64_t>(1767223800000));
  EXPECT_EQ(parse("1970-01-01T00:00:00+01:00"), std::optional<std::int64_t>(-3600000));
  EXPECT_EQ(parse("2026-12-31T23:59:59.999-14:00"), std::optional<std::int64_t>(1798811999999));
  // The same instant in three spellings.
  EXPECT_EQ(parse("2026-11-20T10:15:00+01:00"), parse("2026-11-20T09:15:00Z"));
  EXPECT_EQ(parse("2026-11-20T03:45:00-05:30"), parse("2026-11-20T09:15:00Z"));
}

TEST(Rfc3339, FractionalSeconds) {
  constexpr std::int64_t kBase = 1795166100000;
  EXPECT_EQ(parse("2026-11-20T09:15:00.1Z"), std::optional<std::int64_t>(kBase + 100));
  EXPECT_EQ(parse("2026-11-20T09:15:00.12Z"), std::optional<std::int64_t>(kBase + 120));
  EXPECT_EQ(parse("2026-11-20T09:15:00.123Z"), std::optional<std::int64_t>(kBase + 123));
  EXPECT_EQ(parse("2026-11-20T09:15:00.123456Z"), std::optional<std::int64_t>(kBase + 123));
  EXPECT_EQ(parse("2026-11-20T09:15:00.999999999Z"), std::optional<std::int64_t>(kBase + 999));
  EXPECT_EQ(parse("2026-11-20T09:15:00.001+01:00"), std::optional<std::int64_t>(kBase - 3600000 + 1));
  EXPECT_EQ(parse("2026-11-20T09:15:00.Z"), std::nullopt) << "a dot needs digits";
  EXPECT_EQ(parse("2026-11-20T09:15:00.12a3Z"), std::nullopt);
}

TEST(Rfc3339, LeapYears) {
  EXPECT_TRUE(parse("2024-02-29T00:00:00Z").has_value());
  EXPECT_FALSE(parse("2023-02-29T00:00:00Z").has_value());
  EXPECT_TRUE(parse("2000-02-29T00:00:00Z").has_value());   // divisible by 400
  EXPECT_FALSE(parse("1900-02-29T00:00:00Z").has_value());  // divisible by 100
  EXPECT_FALSE(parse("2024-02-30T00:00:00Z").has_value());
}

TEST(Rfc3339, DayAndMonthRanges) {
  EXPECT_TRUE(parse("2026-01-31T00:00:00Z").has_value());
  EXPECT_FALSE(parse("2026-04-31T00:00:00Z").has_value());
  EXPECT_TRUE(parse("2026-12-31T00:00:00Z").has_value());
  EXPECT_FALSE(parse("2026-13-01T00:00:00Z").has_value());
  EXPECT_FALSE(parse("2026-00-01T00:00:00Z").has_value());
  EXPECT_FALSE(parse("2026-01-32T00:00:00Z").has_value());
  EXPECT_FALSE(parse("2026-01-00T00:00:00Z").has_value());
}

TEST(Rfc3339, TimeRanges) {
  EXPECT_TRUE(parse("2026-11-20T23:59:59Z").has_value());
  EXPECT_FALSE(parse("2026-11-20T24:00:00Z").has_value());
  EXPECT_FALSE(parse("2026-11-20T23:60:00Z").has_value());
  EXPECT_FALSE(parse("2026-11-20T23:59:61Z").has_value());
  // RFC 3339 allows a leap second.
  EXPECT_TRUE(parse("2016-12-31T23:59:60Z").has_value());
  EXPECT_FALSE(parse("2026-11-20T09:15:00+24:00").has_value());
  EXPECT_FALSE(parse("2026-11-20T09:15:00+01:60").has_value());
}

TEST(Rfc3339, LowercaseSeparators) {
  EXPECT_EQ(parse("2026-11-20t09:15:00z"), std::optional<std::int64_t>(1795166100000));
  EXPECT_EQ(parse("2026-11-20t09:15:00Z"), std::optional<std::int64_t>(1795166100000));
  EXPECT_EQ(parse("2026-11-20T09:15:00z"), std::optional<std::int64_t>(1795166100000));
}

TEST(Rfc3339, MalformedIsRejected) {
  for (const char* bad : {
           "",
           "yesterday",
           "2026-11-20",
           "2026-11-20T09:15:00",         // no time zone
           "2026-11-20T09:15:00.123",     // no time zone
           "2026-11-20T09:15Z",           // no seconds
           "2026-11-20T09:15:00ZZ",       // trailing garbage
           "2026-11-20T09:15:00Z ",       // trailing space
           "2026-11-20T09:15:00+01:00x",  // trailing garbage
           "2026-11-20T09:15:00+01",      // short offset
           "2026-11-20T09:15:00+0100",    // offset without colon
           "2026-11-20T09:15:00+1:00",
           "2026-11-20X09:15:00Z",
           "2026/11/20T09:15:00Z",
           "26-11-20T09:15:00Z",
           "2026-1-20T09:15:00Z",
           "2026-11-20T9:15:00Z",
           "2026-11-20T09:15:0Z",
           " 2026-11-20T09:15:00Z",
           "2026-11-20T09:15:00UTC",
           "+2026-11-20T09:15:00Z",
       }) {
    EXPECT_EQ(parse(bad), std::nullopt) << bad;
  }
}

TEST(Rfc3339, EmbeddedNulIsRejected) {
  const std::string text("2026-11-20T09:15:00Z\0", 21);
  EXPECT_EQ(parse_rfc3339_ms(text), std::nullopt);
}

TEST(Rfc3339, FormatKnownValues) {
  EXPECT_EQ(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(1795166100000), "2026-11-20T09:15:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(1795166100123), "2026-11-20T09:15:00.123Z");
  EXPECT_EQ(format_rfc3339_ms(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(1709208000007), "2024-02-29T12:00:00.007Z");
  EXPECT_EQ(format_rfc3339_ms(253402300799999), "9999-12-31T23:59:59.999Z");
}

TEST(Rfc3339, FormatNegativeValues) {
  EXPECT_EQ(format_rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_ms(-1000), "1969-12-31T23:59:59.000Z");
  EXPECT_EQ(format_rfc3339_ms(-1001), "1969-12-31T23:59:58.999Z");
  EXPECT_EQ(format_rfc3339_ms(-86400000), "1969-12-31T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(-3600000), "1969-12-31T23:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(-2208988800000), "1900-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(-62135596800000), "0001-01-01T00:00:00.000Z");
}

TEST(Rfc3339, FormatParseRoundTrip) {
  // Years 0001..9999, stepping by an odd number of milliseconds so every
  // field (ms, seconds, day of month, leap days) varies.
  constexpr std::int64_t kFirst = -62135596800000;
  constexpr std::int64_t kLast = 253402300799999;
  constexpr std::int64_t kStep = 9876543210987;  // ~114 days and some ms
  int checked = 0;
  for (std::int64_t ms = kFirst; ms <= kLast; ms += kStep / 97) {
    const std::string text = format_rfc3339_ms(ms);
    ASSERT_EQ(text.size(), 24U) << text;
    ASSERT_EQ(parse_rfc3339_ms(text), std::optional<std::int64_t>(ms)) << text;
    ++checked;
  }
  EXPECT_GT(checked, 3000);
  for (std::int64_t ms = -100000; ms <= 100000; ms += 7) {
    ASSERT_EQ(parse_rfc3339_ms(format_rfc3339_ms(ms)), std::optional<std::int64_t>(ms)) << ms;
  }
}

TEST(Rfc3339, ParseFormatRoundTripNormalisesToUtcMillis) {
  EXPECT_EQ(format_rfc3339_ms(*parse("2026-11-20T10:15:00.5+01:00")), "2026-11-20T09:15:00.500Z");
  EXPECT_EQ(format_rfc3339_ms(*parse("2024-03-01T01:00:00+02:00")), "2024-02-29T23:00:00.000Z");
}

TEST(Rfc3339, FormatExtremesDoNotCrash) {
  // Far outside any real date; the time of day is still exact (python3:
  // divmod arithmetic on the millisecond value).
  const std::string max = format_rfc3339_ms(std::numeric_limits<std::int64_t>::max());
  ASSERT_GE(max.size(), 24U) << max;
  EXPECT_EQ(max.substr(max.size() - 14), "T07:12:55.807Z") << max;
  const std::string min = format_rfc3339_ms(std::numeric_limits<std::int64_t>::min());
  ASSERT_GE(min.size(), 24U) << min;
  EXPECT_EQ(min.substr(min.size() - 14), "T16:47:04.192Z") << min;
}
