// AuthorPseudonymizer, sha256_hex and hmac_sha256_hex. Expected digests were
// computed independently with Python's hashlib / hmac (parts joined with a NUL
// after each part).

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

#include "alert/digest.hpp"
#include "alert/pseudonym.hpp"

using namespace wachtpost;

namespace {

const std::string kKey = "0123456789abcdef";  // exactly 16 bytes
constexpr std::int64_t kHourMs = 3600LL * 1000;
constexpr std::int64_t kDayMs = 24 * kHourMs;
constexpr std::int64_t kCreated = 1795166100000;  // 2026-11-20T09:15:00Z

std::string ref(const AuthorPseudonymizer& p, std::string_view platform, std::string_view author, std::int64_t ms) {
  const auto r = p.pseudonym(platform, author, ms);
  EXPECT_TRUE(r.has_value());
  return r.value_or("");
}

}  // namespace

// --- digests -----------------------------------------------------------------

TEST(Digest, Sha256OfKnownVector) {
  // python3: hashlib.sha256(b"abc\0").hexdigest()
  const std::array<std::string_view, 1> parts{"abc"};
  EXPECT_EQ(sha256_hex(parts, 64), "dc1114cd074914bd872cc1f9a23ec910ea2203bc79779ab2e17da25782a624fc");
}

TEST(Digest, Sha256OfSeveralParts) {
  // python3: hashlib.sha256(b"a\0b\0c\0").hexdigest()
  const std::array<std::string_view, 3> parts{"a", "b", "c"};
  EXPECT_EQ(sha256_hex(parts, 64), "13e228567e8249fce53337f25d7970de3bd68ab2653424c7b8f9fd05e33caedf");
}

TEST(Digest, Sha256OfNoPartsAndOfAnEmptyPart) {
  // No parts: SHA-256 of the empty string. One empty part: SHA-256 of "\0".
  EXPECT_EQ(sha256_hex({}, 64), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::array<std::string_view, 1> empty{""};
  EXPECT_EQ(sha256_hex(empty, 64), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

TEST(Digest, PartsAreSeparated) {
  // python3: hashlib.sha256(b"ab\0c\0").hexdigest()
  const std::array<std::string_view, 2> ab_c{"ab", "c"};
  const std::array<std::string_view, 2> a_bc{"a", "bc"};
  EXPECT_EQ(sha256_hex(ab_c, 64), "629c2f14f654f026086f2aefe1855533d0897f49df86a19073be17b237361b09");
  EXPECT_NE(sha256_hex(ab_c, 64), sha256_hex(a_bc, 64));
}

TEST(Digest, HexCharsTruncatesTheDigest) {
  const std::array<std::string_view, 1> parts{"abc"};
  const std::string full = "dc1114cd074914bd872cc1f9a23ec910ea2203bc79779ab2e17da25782a624fc";
  for (const std::size_t n : {0U, 1U, 7U, 24U, 32U, 63U, 64U}) {
    EXPECT_EQ(sha256_hex(parts, n), full.substr(0, n)) << n;
    EXPECT_EQ(hmac_sha256_hex(kKey, parts, n).size(), n) << n;
  }
  // More than a digest's worth gives the whole digest.
  EXPECT_EQ(sha256_hex(parts, 100), full);
}

TEST(Digest, PartWithEmbeddedNul) {
  // "a\0b" as one part hashes the same bytes as parts "a", "b".
  const std::array<std::string_view, 1> one{std::string_view("a\0b", 3)};
  const std::array<std::string_view, 2> two{"a", "b"};
  EXPECT_EQ(sha256_hex(one, 64), sha256_hex(two, 64));
}

TEST(Digest, HmacOfKnownVectors) {
  // python3: hmac.new(b"0123456789abcdef", b"abc\0", hashlib.sha256).hexdigest()
  const std::array<std::string_view, 1> abc{"abc"};
  EXPECT_EQ(hmac_sha256_hex(kKey, abc, 64), "dd8f67dd5f080058c05ae3da585c7066ecd8aafa5768986cbed3c8be0b793230");
  // python3: hmac.new(b"0123456789abcdef", b"", hashlib.sha256).hexdigest()
  EXPECT_EQ(hmac_sha256_hex(kKey, {}, 64), "496dc93fa2d26eae500ec0bc37a122706b88f8963cebf0899d0245fae313e241");
}

TEST(Digest, HmacWithKeyLongerThanABlock) {
  // python3: hmac.new(bytes(range(100)), b"a\0b\0", hashlib.sha256).hexdigest()
  std::string key;
  for (int i = 0; i < 100; ++i) key += static_cast<char>(i);  // includes a NUL byte
  const std::array<std::string_view, 2> parts{"a", "b"};
  EXPECT_EQ(hmac_sha256_hex(key, parts, 64), "6261130e9f0ee7f05b889ef953b56373ed1dfd70fe1829b7b324f6de5b8cf6a0");
}

TEST(Digest, HmacDependsOnTheKey) {
  const std::array<std::string_view, 1> abc{"abc"};
  EXPECT_NE(hmac_sha256_hex(kKey, abc, 64), hmac_sha256_hex("0123456789abcdeF", abc, 64));
  EXPECT_NE(hmac_sha256_hex(kKey, abc, 64), sha256_hex(abc, 64));
}

// --- pseudonyms --------------------------------------------------------------

TEST(Pseudonym, KnownValue) {
  // period = 1795166100000 // 86400000 = 20777;
  // python3: hmac.new(b"0123456789abcdef", b"author-v1\0" b"20777\0" b"x\0" b"user-42\0",
  //                   hashlib.sha256).hexdigest()[:24]
  const AuthorPseudonymizer p(kKey, 24);
  EXPECT_EQ(ref(p, "x", "user-42", kCreated), "ap1-20777-ff06ad34d7c469c08398cfaf");
  // One-hour rotation: period 498657.
  const AuthorPseudonymizer hourly(kKey, 1);
  EXPECT_EQ(ref(hourly, "mastodon", "12345", kCreated), "ap1-498657-bbacaefeb7c6ca0542878f5b");
}

TEST(Pseudonym, Format) {
  const AuthorPseudonymizer p(kKey, 24);
  const std::regex format("^ap1-[0-9]+-[0-9a-f]{24}$");
  for (const char* author : {"user-42", "1", "@someone", "\xC3\xA9\xC3\xA9n", "a b c"}) {
    const std::string r = ref(p, "x", author, kCreated);
    EXPECT_TRUE(std::regex_match(r, format)) << r;
    EXPECT_EQ(r.rfind("ap1-20777-", 0), 0U) << r;
  }
}

TEST(Pseudonym, Deterministic) {
  const AuthorPseudonymizer p(kKey, 24);
  const AuthorPseudonymizer q(kKey, 24);
  EXPECT_EQ(ref(p, "x", "user-42", kCreated), ref(p, "x", "user-42", kCreated));
  EXPECT_EQ(ref(p, "x", "user-42", kCreated), ref(q, "x", "user-42", kCreated));
}

TEST(Pseudonym, DiffersByAuthorPlatformAndKey) {
  const AuthorPseudonymizer p(kKey, 24);
  const AuthorPseudonymizer other_key("0123456789abcdeg", 24);
  const std::string base = ref(p, "x", "user-42", kCreated);
  EXPECT_NE(base, ref(p, "x", "user-43", kCreated));
  EXPECT_NE(base, ref(p, "mastodon", "user-42", kCreated));
  EXPECT_NE(base, ref(other_key, "x", "user-42", kCreated));
  // Platform and author are separated: ("xu", "ser-42") is not ("x", "user-42").
  EXPECT_NE(base, ref(p, "xu", "ser-42", kCreated));
  std::set<std::string> refs;
  for (int i = 0; i < 1000; ++i) refs.insert(ref(p, "x", "user-" + std::to_string(i), kCreated));
  EXPECT_EQ(refs.size(), 1000U);
}

TEST(Pseudonym, StableWithinAPeriodDifferentAcrossPeriods) {
  const AuthorPseudonymizer p(kKey, 24);
  const std::int64_t day_start = (kCreated / kDayMs) * kDayMs;  // 2026-11-20T00:00:00Z
  const std::string in_day = ref(p, "x", "user-42", day_start);
  EXPECT_EQ(in_day, ref(p, "x", "user-42", kCreated));
  EXPECT_EQ(in_day, ref(p, "x", "user-42", day_start + kDayMs - 1));
  EXPECT_NE(in_day, ref(p, "x", "user-42", day_start + kDayMs));
  EXPECT_NE(in_day, ref(p, "x", "user-42", day_start - 1));
  EXPECT_EQ(ref(p, "x", "user-42", day_start + kDayMs).rfind("ap1-20778-", 0), 0U);
  EXPECT_EQ(ref(p, "x", "user-42", day_start - 1).rfind("ap1-20776-", 0), 0U);
}

TEST(Pseudonym, RotationLengthFollowsTheSetting) {
  const AuthorPseudonymizer weekly(kKey, 24 * 7);
  const AuthorPseudonymizer hourly(kKey, 1);
  // Two moments three hours apart: same week, different hours.
  const std::int64_t a = kCreated;
  const std::int64_t b = kCreated + 3 * kHourMs;
  ASSERT_EQ(a / (7 * kDayMs), b / (7 * kDayMs));
  EXPECT_EQ(ref(weekly, "x", "u", a), ref(weekly, "x", "u", b));
  EXPECT_NE(ref(hourly, "x", "u", a), ref(hourly, "x", "u", b));
}

TEST(Pseudonym, PeriodsBeforeTheEpochRoundDown) {
  const AuthorPseudonymizer p(kKey, 1);
  // [-1h, 0) is one period, [0, 1h) the next.
  EXPECT_EQ(ref(p, "x", "u", -1), ref(p, "x", "u", -kHourMs));
  EXPECT_NE(ref(p, "x", "u", -1), ref(p, "x", "u", 0));
  EXPECT_EQ(ref(p, "x", "u", 0), ref(p, "x", "u", kHourMs - 1));
  EXPECT_NE(ref(p, "x", "u", -kHourMs), ref(p, "x", "u", -kHourMs - 1));
}

TEST(Pseudonym, AuthorIdNeverAppearsInTheRef) {
  const AuthorPseudonymizer p(kKey, 24);
  for (const char* author : {"user-42", "author-secret-77", "@handle", "janjansen", "ghost"}) {
    const std::string r = ref(p, "x", author, kCreated);
    EXPECT_EQ(r.find(author), std::string::npos) << r;
  }
}

TEST(Pseudonym, EmptyAuthorHasNoRef) {
  const AuthorPseudonymizer p(kKey, 24);
  EXPECT_EQ(p.pseudonym("x", "", kCreated), std::nullopt);
  EXPECT_EQ(p.pseudonym("", "", 0), std::nullopt);
}

TEST(Pseudonym, RejectsShortKeyAndZeroRotation) {
  EXPECT_THROW(AuthorPseudonymizer("", 24), std::invalid_argument);
  EXPECT_THROW(AuthorPseudonymizer("0123456789abcde", 24), std::invalid_argument);  // 15 bytes
  EXPECT_NO_THROW(AuthorPseudonymizer("0123456789abcdef", 24));                     // 16 bytes
  EXPECT_THROW(AuthorPseudonymizer(kKey, 0), std::invalid_argument);
  EXPECT_NO_THROW(AuthorPseudonymizer(kKey, 1));
}

TEST(Pseudonym, VeryLongRotationDoesNotOverflow) {
  const AuthorPseudonymizer p(kKey, UINT32_MAX);
  const std::string r = ref(p, "x", "u", kCreated);
  EXPECT_EQ(r.rfind("ap1-0-", 0), 0U) << r;
}
